#!/usr/bin/env bash
# Browser tests: start a real Lockgate (SQLite, simulated provider) on a free port with a fresh
# data dir, run Playwright (Debian's chromium) against it, stop it. Extra arguments go to
# `playwright test` (e.g. scripts/e2e.sh -g "xss").
#
# When the selected specs include e2e/replicas.spec.ts, two more replicas sharing a throwaway
# PostgreSQL and Redis are started beside it (tests/fixtures/e2e_replicas.py; their URLs go to
# the spec as E2E_REPLICA_A/B). E2E_REPLICAS=0 or 1 overrides that choice.
#
# The UI must be built first (`make ui`); the app serves it from src/lockgate/web/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
export NEXT_TELEMETRY_DISABLED=1

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  echo "e2e: $chromium not found; install Debian's browser: apt-get install -y chromium" >&2
  exit 1
fi
[ -f src/lockgate/web/index.html ] || { echo "e2e: no built UI in src/lockgate/web; run \`make ui\`" >&2; exit 1; }
[ -x .venv/bin/python ] || { echo "e2e: .venv missing; run \`make run\` or \`make test\` once" >&2; exit 1; }

tmp=$(mktemp -d -t lockgate-e2e.XXXXXX)
pid=""
idp_pid=""
replicas_pid=""
cleanup() {
  status=$?
  if [ -n "$idp_pid" ]; then kill -TERM "$idp_pid" 2>/dev/null || true; fi
  if [ -n "$replicas_pid" ] && kill -0 "$replicas_pid" 2>/dev/null; then
    # It stops both replicas (each drains for at most a second), Redis and PostgreSQL.
    kill -TERM "$replicas_pid" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$replicas_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$replicas_pid" 2>/dev/null || true
  fi
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  if [ "$status" -ne 0 ]; then
    # CI shows only the tail of the output: the server log first, Playwright's verdict last.
    if [ -f "$tmp/server.log" ]; then
      echo "e2e: last lines of the server log:" >&2
      tail -n 30 "$tmp/server.log" >&2 || true
    fi
    if [ -f "$tmp/replicas.log" ]; then
      echo "e2e: the replicas' helper:" >&2
      tail -n 20 "$tmp/replicas.log" >&2 || true
      for log in "$tmp"/replicas/*/lockgate.log; do
        [ -f "$log" ] || continue
        echo "e2e: last lines of $log:" >&2
        tail -n 15 "$log" >&2 || true
      done
    fi
    if [ -f "$tmp/playwright.log" ]; then
      echo "e2e: failed tests:" >&2
      grep -E '✘|Error:|Timeout|expect\(' "$tmp/playwright.log" | head -n 40 >&2 || true
      echo "e2e: end of the Playwright report:" >&2
      tail -n 60 "$tmp/playwright.log" >&2 || true
    fi
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
# Interrupted or terminated: exit with the signal's status, so the run never looks passed; the
# EXIT trap then stops everything.
trap 'exit 130' INT
trap 'exit 143' TERM

# Fast, deterministic simulated replies; prices so that every answer has a visible cost.
cat >"$tmp/lockgate.yaml" <<'YAML'
providers:
  simulated:
    type: simulated
    first_token_latency: 0.05
    tokens_per_second: 30
  # A primary that fails only when a message asks it to ([[fail@flaky:500]]) and the backup
  # that then answers: the fallback journey. Only that spec uses them, so the breaker of the
  # provider every other spec uses is never touched.
  flaky:
    type: simulated
    first_token_latency: 0.05
    tokens_per_second: 30
  backup:
    type: simulated
    first_token_latency: 0.05
    tokens_per_second: 30
    seed: 7
models:
  sim-small:
    provider: simulated
    vision: true
    label: Simulated small
    context_window: 8192
    max_output_tokens: 2048
    price: {input_per_mtok: 0.15, output_per_mtok: 0.6}
  sim-large:
    provider: simulated
    vision: true
    label: Simulated large
    context_window: 32768
    max_output_tokens: 4096
    price: {input_per_mtok: 2.5, output_per_mtok: 10}
  sim-image:
    provider: simulated
    kind: image
    label: Simulated images
    image_sizes: ["256x256", "512x512"]
    price: {per_image: 0.02}
  sim-fallback:
    provider: flaky
    label: Simulated with a fallback
    context_window: 8192
    max_output_tokens: 2048
    price: {input_per_mtok: 0.15, output_per_mtok: 0.6}
    fallbacks: [sim-backup]
  sim-backup:
    provider: backup
    label: Simulated backup
    context_window: 8192
    max_output_tokens: 2048
    price: {input_per_mtok: 0.15, output_per_mtok: 0.6}
default_model: sim-small
gate:
  budgets:
    providers: {simulated: {daily_usd: 5}}
  # Several users sign in from 127.0.0.1 within a minute: the limits must not be what is tested.
  rate_limits:
    default: 6000/minute
    chat: 6000/minute
    images: 6000/minute
    conversations: 6000/minute
    auth: 6000/minute
    per_ip: 60000/minute
YAML

# The administrator the specs sign in as (teams, the admin console, the replicas): which spec
# registers the first account, an admin too, is not fixed. Its password is the specs' PASSWORD
# (e2e/fixtures.ts).
export E2E_ADMIN_EMAIL="admin@e2e.example.com"
export E2E_ADMIN_PASSWORD="Lighthouse-keeper-2025!"

# The replicas start in the background while the rest starts (PostgreSQL's initdb is the slow
# part), from the same configuration without single sign-on; only when a selected spec needs them.
# With no arguments every spec runs (`make test`); a filtered run asks Playwright what it selects.
need_replicas=${E2E_REPLICAS:-auto}
if [ "$need_replicas" = auto ] && [ "$#" -eq 0 ]; then
  need_replicas=1
elif [ "$need_replicas" = auto ]; then
  selected=$(cd frontend && npx --no-install playwright test --list "$@" 2>/dev/null || true)
  case "$selected" in *replicas.spec.ts:*) need_replicas=1 ;; *) need_replicas=0 ;; esac
fi
if [ "$need_replicas" = 1 ]; then
  cp "$tmp/lockgate.yaml" "$tmp/replicas.yaml"
  .venv/bin/python -m tests.fixtures.e2e_replicas --config "$tmp/replicas.yaml" \
    --workdir "$tmp/replicas" --out "$tmp/replicas.json" \
    --admin-email "$E2E_ADMIN_EMAIL" --admin-password "$E2E_ADMIN_PASSWORD" >"$tmp/replicas.log" 2>&1 &
  replicas_pid=$!
fi

port=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

# A real OpenID Connect provider (tests/oidc: oidc-provider) on a free loopback port, for the
# single sign-on journey (e2e/oidc.spec.ts); the server below is configured to use it.
[ -d tests/oidc/node_modules/oidc-provider ] \
  || (cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error)
oidc_secret="e2e-oidc-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
cat >"$tmp/idp.json" <<JSON
{"port": 0, "keysFile": "$tmp/idp-keys.json",
 "clients": [{"client_id": "lockgate", "client_secret": "$oidc_secret",
              "redirect_uris": ["http://127.0.0.1:$port/api/v1/auth/oidc/callback"],
              "response_types": ["code"], "grant_types": ["authorization_code"]}],
 "accounts": {
   "sso-admin": {"email": "sso-admin@example.com", "email_verified": true,
                 "groups": ["staff", "lockgate-admins"]},
   "outsider": {"email": "outsider@elsewhere.test", "email_verified": true, "groups": []}}}
JSON
node tests/oidc/provider.mjs "$tmp/idp.json" >"$tmp/idp.out" 2>"$tmp/idp.log" &
idp_pid=$!
for _ in $(seq 1 100); do # up to ~20 s
  if ! kill -0 "$idp_pid" 2>/dev/null; then cat "$tmp/idp.log" >&2; echo "e2e: the OIDC provider exited" >&2; exit 1; fi
  grep -q '"ready":true' "$tmp/idp.out" 2>/dev/null && break
  sleep 0.2
done
issuer=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["issuer"])' "$tmp/idp.out")
cat >>"$tmp/lockgate.yaml" <<YAML
oidc:
  issuer: $issuer
  client_id: lockgate
  display_name: Test IdP
  scopes: [openid, email, profile, groups]
  allowed_domains: [example.com]
  role_claim: groups
  admin_values: [lockgate-admins]
YAML
export LOCKGATE_OIDC_CLIENT_SECRET="$oidc_secret"
export E2E_OIDC_ISSUER="$issuer"
export LOCKGATE_DATA_DIR="$tmp/data"
export LOCKGATE_CONFIG_FILE="$tmp/lockgate.yaml"
export LOCKGATE_SECRET_KEY="e2e-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
export LOCKGATE_LOG_FORMAT=json
export LOCKGATE_LOGIN_LIMIT_PER_IP="1000/minute"
export LOCKGATE_LOGIN_LIMIT_PER_ACCOUNT="100/minute"
export LOCKGATE_SHUTDOWN_GRACE_SECONDS=1
mkdir -p "$LOCKGATE_DATA_DIR"
.venv/bin/lockgate user create --email "$E2E_ADMIN_EMAIL" --admin --password "$E2E_ADMIN_PASSWORD" >/dev/null

.venv/bin/lockgate serve --host 127.0.0.1 --port "$port" >"$tmp/server.log" 2>&1 &
pid=$!

base="http://127.0.0.1:$port"
ready=0
for _ in $(seq 1 300); do # up to ~60 s (the replicas may be starting too), polling readiness
  if ! kill -0 "$pid" 2>/dev/null; then echo "e2e: the server exited during start-up" >&2; exit 1; fi
  if curl -fsS -o /dev/null "$base/health/ready" 2>/dev/null; then ready=1; break; fi
  sleep 0.2
done
[ "$ready" = 1 ] || { echo "e2e: the server was not ready within 60 s" >&2; exit 1; }
echo "e2e: Lockgate at $base"

if [ -n "$replicas_pid" ]; then
  for _ in $(seq 1 600); do # up to ~120 s: initdb, migrations and two start-ups on a busy machine
    [ -f "$tmp/replicas.json" ] && break
    if ! kill -0 "$replicas_pid" 2>/dev/null; then echo "e2e: the replicas did not start" >&2; exit 1; fi
    sleep 0.2
  done
  [ -f "$tmp/replicas.json" ] || { echo "e2e: the replicas were not ready within 120 s" >&2; exit 1; }
  E2E_REPLICA_A=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["a"])' "$tmp/replicas.json")
  E2E_REPLICA_B=$(.venv/bin/python -c 'import json,sys; print(json.load(open(sys.argv[1]))["b"])' "$tmp/replicas.json")
  export E2E_REPLICA_A E2E_REPLICA_B
  echo "e2e: replicas at $E2E_REPLICA_A and $E2E_REPLICA_B (PostgreSQL, Redis)"
fi

cd frontend
E2E_BASE_URL="$base" CHROMIUM_PATH="$chromium" npx --no-install playwright test "$@" 2>&1 | tee "$tmp/playwright.log"
