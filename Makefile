VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed

.PHONY: install browser screenshots run test check bench bench-hub bench-provisioning bench-import clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(VENV)/bin/scimhub demo

# Debian's chromium for the browser tests (Playwright drives it; nothing else is downloaded).
browser:
	bash scripts/install-browser.sh

test: $(STAMP) browser
	$(VENV)/bin/pytest

# PNG screenshots of the web UI's main screens in docs/screenshots/ (shown in the README).
screenshots: $(STAMP) browser
	$(PY) scripts/screenshots.py

check: $(STAMP)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/mypy

bench: $(STAMP)
	$(PY) bench/provider_bench.py

bench-hub: $(STAMP)
	$(PY) bench/hub_bench.py

bench-provisioning: $(STAMP)
	$(PY) bench/provisioning_bench.py

bench-import: $(STAMP)
	$(PY) bench/import_bench.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
