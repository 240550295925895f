# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DB ?= sqlite://var/demo.sqlite3

OIDC_PROVIDER := tests/oidc/node_modules/.package-lock.json
FEDERATION_TOOLING := tests/federation/node_modules/.package-lock.json
PEER_POSTGRAPHILE := bench/peer/node/node_modules/.package-lock.json

.PHONY: install demo token hub test test-sqlite test-postgres lint format schema bench bench-peer bench-live fuzz load clean

$(BIN)/hub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/hub

install: $(BIN)/hub

# The real OpenID Connect provider the identity tests run (npm oidc-provider, locked).
$(OIDC_PROVIDER): tests/oidc/package.json tests/oidc/package-lock.json
	npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error

# Apollo Federation tooling for the federation tests (npm @apollo/composition, gateway…, locked).
$(FEDERATION_TOOLING): tests/federation/package.json tests/federation/package-lock.json
	npm ci --prefix tests/federation --no-audit --no-fund --loglevel=error

## Install, load territories and demo data into SQLite, serve GraphiQL on :8000. var/hub.env
## records the demo's database, so that `hub …` (and `make hub ARGS=…`) act on it.
demo: install
	mkdir -p var
	printf '# Written by make demo: the settings `hub` reads (environment variables win).\nHUB_ENV=demo\nHUB_DATABASE_URL=%s\n' '$(DEMO_DB)' > var/hub.env
	HUB_ENV=demo HUB_DATABASE_URL=$(DEMO_DB) $(BIN)/hub load-territories
	HUB_ENV=demo HUB_DATABASE_URL=$(DEMO_DB) $(BIN)/hub seed --demo --if-empty
	HUB_ENV=demo HUB_DATABASE_URL=$(DEMO_DB) $(BIN)/hub place-demo-sites
	HUB_ENV=demo HUB_DATABASE_URL=$(DEMO_DB) $(BIN)/hub serve

## Print a demo token: make token WHO=correspondent@demo.bidonvilles.example (or a client id).
token: install
	@HUB_ENV=demo HUB_DATABASE_URL=$(DEMO_DB) $(BIN)/hub token $(WHO)

## Run a `hub` command on the database of var/hub.env: make hub ARGS="app list".
hub: install
	@$(BIN)/hub $(ARGS)

## Install and run the whole suite on SQLite, then on PostgreSQL, plus lint and schema check.
test: install lint $(OIDC_PROVIDER) $(FEDERATION_TOOLING)
	$(BIN)/hub export-schema --check
	$(BIN)/hub permissions-doc --check
	$(BIN)/pytest --db sqlite -q
	$(BIN)/pytest --db postgres -q

test-sqlite: install $(OIDC_PROVIDER) $(FEDERATION_TOOLING)
	$(BIN)/pytest --db sqlite -q

test-postgres: install $(OIDC_PROVIDER) $(FEDERATION_TOOLING)
	$(BIN)/pytest --db postgres -q

## Lint: ruff, the layers contracts (pyproject.toml's [tool.importlinter]) and the type check.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: install
	$(BIN)/hub export-schema
	$(BIN)/hub permissions-doc

## Benchmark (not part of the suite): seeds 500/5,000/20,000 sites on both databases.
bench: install
	$(BIN)/python -m bench

# PostGraphile v4, the peer `make bench-peer` measures the hub against (npm, locked).
$(PEER_POSTGRAPHILE): bench/peer/node/package.json bench/peer/node/package-lock.json
	npm ci --prefix bench/peer/node --no-audit --no-fund --loglevel=error

## The hub against PostGraphile v4 and a hand-written floor on the same tables (not part of the
## suite; about 7 minutes): BENCH_SECONDS (10) per pass, BENCH_ROUNDS (2); see --help.
bench-peer: install $(PEER_POSTGRAPHILE)
	$(BIN)/python -m bench.peer

## Live updates under load (not part of the suite; PostgreSQL; 5 to 15 minutes): 1,000
## WebSocket subscribers, 50 updateSite/s for 60 s, 1 then 2 workers; shorter runs with
## ARGS, e.g. make bench-live ARGS="--subscribers 200 --rate 20 --seconds 15"; see --help.
bench-live: install
	$(BIN)/python -m bench.live $(ARGS)

## Fuzz longer than the suite (random queries, FUZZ_EXAMPLES per caller) on both databases.
FUZZ_EXAMPLES ?= 2000
fuzz: install
	HUB_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) HUB_FUZZ_RANDOM=1 $(BIN)/pytest --db sqlite -q -o faulthandler_timeout=0 tests/test_fuzz.py
	HUB_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) HUB_FUZZ_RANDOM=1 $(BIN)/pytest --db postgres -q -o faulthandler_timeout=0 tests/test_fuzz.py

$(BIN)/locust: pyproject.toml | $(BIN)/hub
	$(BIN)/pip install --quiet -e ".[dev,load]"
	touch $(BIN)/locust

## Load test (not part of the suite): `hub serve` under locust; LOAD_SECONDS (30), LOAD_USERS
## (20), LOAD_WORKERS (1), LOAD_DB (sqlite://var/load.sqlite3, or postgres://…).
load: $(BIN)/locust
	$(BIN)/python -m tests.load.run

clean:
	rm -rf var .pytest_cache tests/oidc/node_modules tests/federation/node_modules \
		bench/peer/node/node_modules
