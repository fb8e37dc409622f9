# The two set-up commands of the README:
#   make build   — install stikg and build the graph into kg/ (serving it: `stikg serve`)
#   make test    — install stikg with its test tools and system packages, then run the tests
PYTHON ?= python3

.PHONY: build test install install-test lint serve

install:
	$(PYTHON) -m pip install -q -e .

install-test:
	bash scripts/install-system-deps.sh
	$(PYTHON) -m pip install -q -e '.[test]'

build: install
	stikg build

test: install-test
	$(PYTHON) -m pytest -q -p no:cacheprovider

lint:
	ruff check src tests benchmarks
	mypy src

serve: install
	stikg serve
