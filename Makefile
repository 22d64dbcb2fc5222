# agency-return: `make run` (set up, then the quarterly job end to end on sample_data/) and `make test`.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV := $(shell command -v uv || echo "$(PY) -m uv")
QUARTER ?= 2025-Q2

export UV_PYTHON_DOWNLOADS := never
export PREFECT_HOME := $(CURDIR)/.prefect
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_LOGGING_LEVEL := WARNING
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 90

.PHONY: install run test bench bench-quick sample template rules-doc serve server look web govuk-frontend clean

install: $(VENV)/.installed $(VENV)/.compiled $(PREFECT_HOME)/prefect.db

# The project's own bytecode, compiled whenever a source file changes: with PYTHONDONTWRITEBYTECODE set
# (as on these machines) Python never writes it, and every command would compile ~100 modules afresh.
SOURCES := $(shell find pipeline schemas flows web -name '*.py')
$(VENV)/.compiled: $(SOURCES) | $(VENV)/.installed
	$(BIN)/python -m compileall -q -j 0 pipeline schemas flows web
	@touch $@

# Prefect's database, created once at install (its ~110 migrations cost ~4 s of CPU), not at the first `make run`.
$(PREFECT_HOME)/prefect.db: | $(VENV)/.installed
	$(BIN)/prefect server database upgrade -y >/dev/null

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(UV) --version >/dev/null 2>&1 || $(PY) -m pip install --quiet uv
	$(UV) venv --quiet --allow-existing -p $(PY) $(VENV)
	$(UV) pip install --quiet -p $(BIN)/python --compile-bytecode -r requirements.lock
	$(UV) pip install --quiet -p $(BIN)/python --compile-bytecode --no-deps -e .
	@touch $@

run: install  ## the quarterly flow on the bundled sample data, with Prefect's ephemeral server
	$(BIN)/python -m flows.quarterly --demo --quarter $(QUARTER)

test: install
	$(BIN)/python -m pytest -q

bench: install  ## full benchmark; prints the table and writes benchmarks/results.json
	$(BIN)/python -m benchmarks.run

bench-quick: install  ## seconds-long smoke run of every benchmark (CI)
	$(BIN)/python -m benchmarks.run --quick

sample: install  ## regenerate the bundled sample workbooks
	$(BIN)/python -m pipeline.outputs.sample --bundled --out sample_data

template: install
	$(BIN)/agency-return template --out agency-return-template.xlsx

rules-doc: install  ## docs/rules.md, the rule reference: what `agency-return rules --format md` prints
	$(BIN)/agency-return rules --format md > docs/rules.md

look: install  ## every output and the template as PNG in look/ (LibreOffice Calc + poppler), one of each kind in docs/
	$(BIN)/python -m pipeline.cli.look --out look --docs docs

server: install  ## a long-running local Prefect server with its UI on http://127.0.0.1:4200
	$(BIN)/prefect server start --host 127.0.0.1 --port 4200

serve: install  ## register the quarterly (cron, Europe/London) and inbox deployments; needs `make server`
	PREFECT_API_URL=http://127.0.0.1:4200/api $(BIN)/agency-return serve

web: install  ## the web service on http://127.0.0.1:8000 (HOST=, PORT= to change)
	$(BIN)/agency-return web --host $(or $(HOST),127.0.0.1) --port $(or $(PORT),8000)

GOVUK_FRONTEND ?= $(shell cat web/static/govuk-frontend/VERSION)
govuk-frontend:  ## refresh the vendored GOV.UK Frontend dist (GOVUK_FRONTEND=X.Y.Z; match govuk-frontend-jinja)
	rm -rf .govuk-frontend && mkdir .govuk-frontend
	cd .govuk-frontend && npm pack --silent govuk-frontend@$(GOVUK_FRONTEND) && tar xzf govuk-frontend-$(GOVUK_FRONTEND).tgz
	rm -rf web/static/govuk-frontend/assets
	cp -r .govuk-frontend/package/dist/govuk/assets web/static/govuk-frontend/
	cp .govuk-frontend/package/dist/govuk/govuk-frontend.min.css .govuk-frontend/package/dist/govuk/govuk-frontend.min.js web/static/govuk-frontend/
	echo $(GOVUK_FRONTEND) > web/static/govuk-frontend/VERSION
	rm -rf .govuk-frontend

clean:
	rm -rf data outputs inbox .prefect benchmarks/work look
