# Web UI targets (Next.js static export in frontend/, served by FastAPI from src/lockgate/web/).
# Included by the main Makefile (after RUN_STAMP/DEV_STAMP are defined):
#
#   make ui        install npm deps if needed, check the API client, build when sources changed
#   make ui-test   API-client drift check, tsc, vitest, then Playwright against a real server
#   make ui-dev    next dev on :3000, proxying /api and /health to the API (UI_API, default :8000)
#   make ui-api    regenerate frontend/src/api/schema.d.ts from the backend's OpenAPI
#   make ui-e2e    only the Playwright suite (E2E_ARGS="-g xss" to filter)

FE := frontend
FE_WEB := src/lockgate/web
FE_INDEX := $(FE_WEB)/index.html
FE_DEPS := $(FE)/node_modules/.lockgate-installed
FE_API_CHECKED := $(FE)/node_modules/.lockgate-api-checked
FE_PY_STAMP := $(if $(RUN_STAMP),$(RUN_STAMP),)
UI_API ?= http://127.0.0.1:$(or $(PORT),8000)
UI_DEV_PORT ?= 3000
E2E_ARGS ?=

# Everything the static export is built from (tests and e2e excluded).
FE_SOURCES := $(shell find $(FE)/src $(FE)/public -type f ! -name '*.test.ts' ! -name '*.test.tsx' 2>/dev/null) \
	$(FE)/package.json $(FE)/package-lock.json $(FE)/next.config.ts $(FE)/postcss.config.mjs \
	$(FE)/tsconfig.json $(FE)/scripts/externalize-scripts.mjs $(FE)/scripts/build-sw.mjs $(FE)/scripts/compress.mjs
# The API client is checked again whenever the backend's Python changes.
FE_BACKEND := $(shell find src/lockgate -name '*.py' -not -path '*/web/*' 2>/dev/null)

.PHONY: ui ui-test ui-dev ui-api ui-e2e

export NEXT_TELEMETRY_DISABLED := 1

$(FE_DEPS): $(FE)/package-lock.json
	cd $(FE) && npm ci --no-audit --no-fund --loglevel=error
	sha256sum $(FE)/package-lock.json | cut -d' ' -f1 >$@

# A stale client is a warning here (`make run` keeps working) and an error in ui-test.
$(FE_API_CHECKED): $(FE_BACKEND) $(FE)/src/api/schema.d.ts | $(FE_DEPS) $(FE_PY_STAMP)
	@if cd $(FE) && node scripts/gen-api.mjs --check; then touch $(CURDIR)/$@; \
	else echo "ui: WARNING: frontend/src/api/schema.d.ts is stale; run \`make ui-api\` and commit it" >&2; fi

$(FE_INDEX): $(FE_SOURCES) | $(FE_DEPS)
	bash scripts/build-ui.sh --no-api-check

ui: $(FE_API_CHECKED) $(FE_INDEX)

ui-api: $(FE_DEPS) $(FE_PY_STAMP)
	cd $(FE) && node scripts/gen-api.mjs

ui-test: $(FE_DEPS) $(FE_PY_STAMP)
	cd $(FE) && node scripts/gen-api.mjs --check
	cd $(FE) && npx --no-install tsc --noEmit
	cd $(FE) && npx --no-install vitest run
	$(MAKE) --no-print-directory -f $(firstword $(MAKEFILE_LIST)) ui
	bash scripts/e2e.sh $(E2E_ARGS)

ui-e2e: ui
	bash scripts/e2e.sh $(E2E_ARGS)

ui-dev: $(FE_DEPS)
	cd $(FE) && LOCKGATE_API_ORIGIN=$(UI_API) npx --no-install next dev --port $(UI_DEV_PORT)
