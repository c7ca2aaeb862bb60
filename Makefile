# csp-jira-sync: the two Quick start commands (`make demo`, `make test`) and the checks CI runs.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test soak lint typecheck bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Start the Jira sandbox and the daemon on SQLite, send a realistic stream, show what landed.
demo: $(STAMP)
	$(BIN)/csp-jira-sync demo

## The whole suite, with a throwaway PostgreSQL server for the PostgreSQL tests.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy csp_jira_sync jira_sandbox
	$(BIN)/lint-imports
	scripts/with-postgres $(BIN)/pytest -n 2 -q

## The fault harness (tests/fault) at issue 12's sizes: 1,000 events, 20 SIGKILLs, Jira and
## store faults. Prints the table; its JSON copy goes to var/soak.json. (`make test` runs the
## short version.)
soak: $(STAMP)
	scripts/with-postgres $(BIN)/pytest -m 'fault or soak' --soak-size=long --soak-json=var/soak.json -q
	$(BIN)/python -m tests.security.fuzz --cases 1000

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy csp_jira_sync jira_sandbox
	$(BIN)/lint-imports

bench: $(STAMP)
	for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
