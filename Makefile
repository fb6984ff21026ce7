# Two commands do all the set-up on a fresh machine:
#   make demo   - install into .venv, build the Hebei sample into ./var and show a match
#   make test   - install into .venv and run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test test-slow lint serve bench evaluate clean

$(BIN)/matcher: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,postgres,eval]'
	touch $(BIN)/matcher

install: $(BIN)/matcher

demo: install
	$(BIN)/matcher demo

test: install
	$(BIN)/python -m pytest -q

test-slow: install
	$(BIN)/python -m pytest -q -m slow

lint: install
	$(BIN)/ruff check matcher api evaluation tests data

serve: install
	$(BIN)/matcher serve

clean:
	rm -rf $(VENV) var .pytest_cache
