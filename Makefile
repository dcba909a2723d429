# Two commands do everything on a fresh machine (Python 3.11+):
#   make report   installs into .venv and builds the example report: site/ and site/report.pdf
#   make test     installs into .venv and runs the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: report test lint bench clean

$(STAMP): pyproject.toml
	bash scripts/system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# axe-core (the accessibility engine the browser tests run), pinned in package-lock.json.
NODE_STAMP := node_modules/.installed-stamp
$(NODE_STAMP): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $(NODE_STAMP)

report: $(STAMP)
	$(BIN)/rocsreport build surveys/beyond-measurement --out site

test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/bench.py
	$(BIN)/python bench/bench_index.py
	$(BIN)/python bench/bench_design.py
	$(BIN)/python bench/bench_disclosure.py
	$(BIN)/python bench/bench_inputs.py
	$(BIN)/python bench/bench_speed.py
	$(BIN)/python bench/bench_init.py

clean:
	rm -rf site surveys/*/.rocsreport
