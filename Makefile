# The README's commands. Everything installs from the package index into .venv (uv workspace)
# and .meltano/ (Meltano's plugin venvs); nothing needs to be installed by hand but Python 3.11+.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(PYTHON) -m uv
RUN := $(UV) run --frozen
export UV_PYTHON_DOWNLOADS := never
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test lint typecheck unit bench sync plugins plugin-settings hub-definitions dist \
	emulators clean orchestrator orchestrator-venv orchestrator-requirements

sync: ## the workspace venv (taps, emulators, meltano, test tools) from uv.lock
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet "uv>=0.9"
	$(UV) sync --frozen --quiet --compile-bytecode  # as pip installs: measured runs pay no compiling

plugins: sync ## Meltano's plugin venvs (the four taps, target-jsonl, target-postgres)
	$(RUN) meltano install

demo: plugins ## emulators up, every implemented tap into target-jsonl, a table of records
	$(RUN) python scripts/demo.py

lint: sync
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: sync
	$(RUN) mypy -p emulators -p bench -p tap_brightcove_audience -p tap_conviva_sessions \
	    -p tap_vbrick_webcast -p tap_webcast_reporting
	$(RUN) mypy scripts

unit: plugins orchestrator-venv
	$(RUN) pytest $(PYTEST_ARGS)

test: lint typecheck unit ## lint, types and the whole test suite

bench: sync ## each tap against its emulator process: rec/s at 0 and 150 ms, req/s, rec/CPU-s beside the floor, peak RSS
	$(RUN) python -m bench $(BENCH_ARGS)

plugin-settings: sync ## rewrite meltano.yml's extractors and hub/extractors/ from each tap's --about --format=json
	$(RUN) python scripts/plugin_settings.py
	$(RUN) python -m scripts.hub_definitions

hub-definitions: sync ## rewrite hub/extractors/ (the Meltano Hub definitions) from the taps' --about and hub/listing.yml
	$(RUN) python -m scripts.hub_definitions

orchestrator: sync ## rewrite orchestrator/dags/ and pools.json (Airflow) from meltano job/schedule list
	$(RUN) python -m scripts.orchestrator_definitions

# Airflow in a venv of its own: it pins SQLAlchemy, FastAPI and pydantic apart from Meltano's.
orchestrator-venv: sync .orchestrator-venv/.installed ## Airflow from orchestrator/requirements.txt

.orchestrator-venv/.installed: orchestrator/requirements.txt
	$(UV) venv --quiet --allow-existing --python $(PYTHON) .orchestrator-venv
	$(UV) pip sync --quiet --compile-bytecode --python .orchestrator-venv/bin/python $<
	touch $@

orchestrator-requirements: sync ## re-pin orchestrator/requirements.txt from orchestrator/requirements.in
	$(UV) pip compile --quiet --python-version 3.11 --custom-compile-command "make $@" \
	    orchestrator/requirements.in -o orchestrator/requirements.txt

dist: sync ## each tap's wheel and sdist, as published, into dist/ (uv build; LICENSE checked in each)
	$(RUN) python scripts/build_dists.py dist

emulators: sync ## serve every emulator on its default port until Ctrl-C
	$(RUN) python -m emulators serve

clean:
	rm -rf .venv .meltano output dist .pytest_cache .mypy_cache .ruff_cache .orchestrator-venv
