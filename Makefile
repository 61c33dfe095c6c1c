# `make run` and `make test` work on a machine with only Python 3.11 and pip.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
export UV_PYTHON_DOWNLOADS := never
PACKAGES := -p evse_contracts -p evse_runtime -p evse_devstack -p evse_gateway \
	-p evse_catalogue -p evse_telemetry -p evse_provider_bridge -p evse_onboarding -p evse_notifier -p evse_vendor_simulator -p evse_smart_charging -p evse_smart_charging_service

.PHONY: install tools openapi run test browser lint typecheck pytest bench format deploy-check fuzz

install:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv>=0.13,<0.14"
	@$(UV) sync --frozen --quiet

# npm tools the generated-client test needs, in a local folder (not committed).
TOOLS_DIR := .tools
tools:
	@test -x $(TOOLS_DIR)/node_modules/.bin/openapi-typescript -a -x $(TOOLS_DIR)/node_modules/.bin/tsc \
		|| npm install --prefix $(TOOLS_DIR) --no-save --no-audit --no-fund --silent \
			openapi-typescript@7.13.0 typescript@5.9.3

# The published OpenAPI document; tests/unit/test_openapi_document.py fails when it is stale.
openapi: install
	$(UV) run --frozen python -c "from evse_gateway.app import create_app; \
		from evse_gateway.openapi import published_json; \
		from evse_gateway.settings import GatewaySettings; \
		print(published_json(create_app(GatewaySettings()).openapi()), end='')" > docs/openapi.json

# `make run NATS_NODES=3`: the platform on a 3-node NATS cluster (streams replicated 3 times).
NATS_NODES ?= 1
run: install
	@$(UV) run --frozen evse-dev run --nats-nodes $(NATS_NODES)

test: install tools browser lint typecheck pytest

# Browser tests: Debian's Chromium (Playwright's own browser download is not reachable) and
# axe-core from npm, installed once.
AXE_CORE := .cache/npm/node_modules/axe-core/axe.min.js
browser: $(AXE_CORE)
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium)
$(AXE_CORE):
	npm install --silent --no-save --prefix .cache/npm axe-core@4.14.1

lint:
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

typecheck:
	$(UV) run --frozen mypy $(PACKAGES)
	$(UV) run --frozen mypy tests

pytest:
	$(UV) run --frozen pytest --durations=30

# Deeper OpenAPI fuzzing than `make test` runs: FUZZ_EXAMPLES per operation and caller.
FUZZ_EXAMPLES ?= 500
fuzz: install
	EVSE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(UV) run --frozen pytest tests/fuzz tests/e2e/test_schemathesis_cli.py -q

# Dockerfile lint, compose and Kubernetes schema checks, drift against the code (also in pytest).
deploy-check: install
	$(UV) run --frozen pytest tests/deploy -q

format: install
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

bench: install
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq wrk)
	$(UV) run --frozen python bench/catalogue_read.py
	$(UV) run --frozen python bench/telemetry_ingest.py
	$(UV) run --frozen python bench/onboarding_import.py
	$(UV) run --frozen python bench/ocpp_connections.py
	BENCH_SINK=count $(UV) run --frozen python bench/ocpp_connections.py
	$(UV) run --frozen python bench/ocpp_log_publish.py
	$(UV) run --frozen python bench/webhook_delivery.py
	$(UV) run --frozen python -m bench.vendor_call_budgets
