# Two entry points: `make demo` (install, ingest the bundled sample offline, open the dashboard) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# the CPU build of torch first, pinned: an unpinned torch pulls a multi-GB CUDA build
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(VENV)/bin/intel demo
	$(VENV)/bin/intel --data-dir data/demo dashboard

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) scripts/bench_ingest.py

lint: install
	$(VENV)/bin/ruff check intel tests scripts app.py

clean:
	rm -rf data/demo data/store .pytest_cache
