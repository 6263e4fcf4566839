# chartdesk: `make run` sets everything up and starts the service on the embedded
# default; `make test` sets up and runs the whole test suite. Both are idempotent
# and quick when everything is already installed.

SHELL := /bin/bash
# Debian's own Python where there is one: the service drops root and runs as an
# unprivileged account, which must be able to read the interpreter (a Python
# installed under /root, as pyenv does, is not readable by it).
PYTHON ?= $(shell test -x /usr/bin/python3 && echo /usr/bin/python3 || echo python3)
SERVICE_USER ?= $(shell sed -n 's/^service_user *= *"\(.*\)"/\1/p' $(CONFIG) 2>/dev/null | head -n1)
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= config.toml

# Runtime: tesseract and its English data; test-only: chromium and fonts for the
# browser tests, espeak-ng and sox to make dictations.
APT_RUNTIME := tesseract-ocr tesseract-ocr-eng python3-venv
APT_TEST := chromium fonts-dejavu-core fonts-liberation espeak-ng sox

.PHONY: setup apt-runtime setup-test search-node run test lint bench clean-venv

# A real OpenSearch node (one JVM) for the cluster-backend tests.
SEARCH_NODE_LIB := .make/opensearch/lib

setup: apt-runtime $(BIN)/.installed

apt-runtime:
	@scripts/ensure-apt.sh $(APT_RUNTIME)

setup-test: setup $(BIN)/.installed-test search-node
	@scripts/ensure-apt.sh $(APT_TEST)

search-node: $(SEARCH_NODE_LIB)/.fetched

# Java 17 runs the node and Maven fetches it (both already there on most of our machines).
$(SEARCH_NODE_LIB)/.fetched: search-node/pom.xml
	@scripts/ensure-apt.sh openjdk-17-jre-headless maven
	mvn -q -B -f search-node/pom.xml dependency:copy-dependencies -DoutputDirectory=$(abspath $(SEARCH_NODE_LIB))
	@touch $@

$(BIN)/.installed: pyproject.toml constraints.txt | apt-runtime
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e .
	@touch $@

$(BIN)/.installed-test: $(BIN)/.installed pyproject.toml constraints.txt
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[test]'
	@touch $@

run: setup
	@scripts/ensure-service-user.sh "$(SERVICE_USER)"
	$(BIN)/chartdesk --config $(CONFIG) init
	$(BIN)/chartdesk --config $(CONFIG) run

test: setup-test
	$(BIN)/ruff check chartdesk tests bench
	CHARTDESK_REQUIRE_COMPONENTS=1 $(BIN)/python -m pytest -q --durations=15

lint: setup-test
	$(BIN)/ruff check chartdesk tests bench

bench: setup-test
	$(BIN)/python -m bench

clean-venv:
	rm -rf $(VENV)
