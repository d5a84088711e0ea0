# The two set-up commands: `make run` (the emulator) and `make test` (the suite).
# Both create .venv and install what they need on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install bytecode run test lint bench docker clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The package is installed editable, so Python writes its .pyc files on import, unless
# PYTHONDONTWRITEBYTECODE is set (as on CI machines): then every start would compile the whole
# package again, a seventh of the start-up.  compileall writes them anyway, only for changed files.
bytecode: $(STAMP)
	$(BIN)/python -m compileall -q server

run: bytecode
	$(BIN)/vtiger-mock serve $(ARGS)

test: bytecode
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check server tests bench
	$(BIN)/ruff format --check server tests bench
	$(BIN)/mypy

bench: bytecode
	$(BIN)/python -m bench $(ARGS)

docker:
	docker build -f docker/Dockerfile -t vtiger-mock .

clean:
	rm -rf $(VENV) build *.egg-info server/*.egg-info .pytest_cache .mypy_cache .ruff_cache
