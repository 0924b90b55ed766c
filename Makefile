# The two commands of the README: `make demo` and `make test`.
# Both create .venv themselves from python3 and install the pinned versions of constraints.txt.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-slow fuzz lint bench suite docs serve clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip==26.3"
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	$(PY) -m compileall -q pipeline assets pwb  # bytecode even where PYTHONDONTWRITEBYTECODE is set
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/pwb demo

test: $(STAMP)
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

# The long fuzz run of ingest + validation (a few minutes); prints its figures.
fuzz: $(STAMP)
	PWB_FUZZ_EXAMPLES=5000 $(PY) -m pytest -q -s -m slow tests/test_fuzz_ingest.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	$(PY) benchmarks/bench.py

# Regenerate expectations/*.json from the contract (a test checks they agree).
suite: $(STAMP)
	$(PY) -m pipeline.validation --write-suite

# Regenerate docs/registratieformaat.md and the templates docs/voorbeeld/ from the contract
# (tests/test_docs.py checks they agree), and docs/results.md from results.schema.json
# (tests/test_results_schema.py).
docs: $(STAMP)
	$(PY) -m pipeline.formatdoc
	$(PY) -m pipeline.results --docs

serve: $(STAMP)
	$(VENV)/bin/pwb serve

clean:
	rm -rf $(VENV) .dagster reports/[0-9][0-9][0-9][0-9]
