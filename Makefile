# One command to set up and run the demo, one to set up and run the tests (README "Quick start").
# The virtualenv is created on first use and refreshed when pyproject.toml or constraints.txt change.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint install clean

demo: $(VENV)/.installed
	$(BIN)/govreports demo

test: $(VENV)/.installed
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/pytest -rs

lint: $(VENV)/.installed
	$(BIN)/lint-imports --no-cache

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "govreports needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

clean:
	rm -rf $(VENV) govreports-demo
