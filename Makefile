# newsmon developer commands. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STACK := deploy/local/stack

# The test stack: its own ports (tests/test-stack.env) and data dir, so it never touches a dev
# stack on 9092/9200/9201.
export NEWSMON_TEST_STACK_DIR ?= $(CURDIR)/.test-stack
TEST_STACK_ENV := NEWSMON_STACK_DIR=$(NEWSMON_TEST_STACK_DIR) \
	$(shell grep -v '^\#' tests/test-stack.env | xargs)

.PHONY: install lint unit eval test run run-stack stack-up stack-down stack-status clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

unit: install
	$(PY) -m pytest tests/unit -q

# Tag quality on the labelled corpus (tests/data/labelled): the table, and exit 1 below the bar.
eval: install
	$(VENV)/bin/newsmon eval --min-topic-f1 0.85 --min-entity-f1 0.85

# Lint, tag quality, then the whole suite (unit, integration, e2e) against a real Kafka +
# Elasticsearch started on test ports for the run and stopped afterwards.
test: lint eval
	$(TEST_STACK_ENV) $(STACK) up
	set +e; $(TEST_STACK_ENV) $(PY) -m pytest tests; rc=$$?; \
	$(TEST_STACK_ENV) $(STACK) down; exit $$rc

# The first command: no servers. Every stage in one process on the bundled offline feeds and
# sample subscriptions; alerts print here, data in .newsmon/ (search it: newsmon search ...).
RUN_ARGS ?= --feeds examples/feeds.yaml --subscriptions examples/subscriptions.yaml
run: install
	$(VENV)/bin/newsmon run $(RUN_ARGS)

# The same command on the local stack (real Kafka + Elasticsearch, default ports).
run-stack: install
	$(STACK) up
	eval "$$($(STACK) env)" && $(VENV)/bin/newsmon run $(RUN_ARGS) --data .newsmon-stack

stack-up:
	$(STACK) up
stack-down:
	$(STACK) down
stack-status:
	$(STACK) status

clean:
	rm -rf .newsmon .pytest_cache .mypy_cache .ruff_cache
