# chartdesk: `make run` sets everything up and starts the service on the embedded
# default; `make test` sets up and runs the whole test suite. Both are idempotent
# and quick when everything is already installed.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config.toml

# Runtime: tesseract and its English data; test-only: chromium and fonts for the
# browser tests, espeak-ng and sox to make dictations.
APT_RUNTIME := tesseract-ocr tesseract-ocr-eng
APT_TEST := chromium fonts-dejavu-core fonts-liberation espeak-ng sox

.PHONY: setup setup-test search-node run test lint bench clean-venv

# A real OpenSearch node (one JVM) for the cluster-backend tests.
SEARCH_NODE_LIB := .make/opensearch/lib

setup: $(BIN)/.installed
	@scripts/ensure-apt.sh $(APT_RUNTIME)

setup-test: setup $(BIN)/.installed-test search-node
	@scripts/ensure-apt.sh $(APT_TEST)

search-node: $(SEARCH_NODE_LIB)/.fetched

# Java 17 runs the node and Maven fetches it (both already there on most of our machines).
$(SEARCH_NODE_LIB)/.fetched: search-node/pom.xml
	@scripts/ensure-apt.sh openjdk-17-jre-headless maven
	mvn -q -B -f search-node/pom.xml dependency:copy-dependencies -DoutputDirectory=$(abspath $(SEARCH_NODE_LIB))
	@touch $@

$(BIN)/.installed: pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e .
	@touch $@

$(BIN)/.installed-test: $(BIN)/.installed pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

run: setup
	$(BIN)/chartdesk --config $(CONFIG) init
	$(BIN)/chartdesk --config $(CONFIG) run

test: setup-test
	$(BIN)/python -m pytest -q --durations=15

lint: setup-test
	$(BIN)/ruff check chartdesk tests bench

bench: setup-test
	$(BIN)/python -m bench

clean-venv:
	rm -rf $(VENV)
