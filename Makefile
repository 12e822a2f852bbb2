# Every target bootstraps .venv itself: `make demo` and `make test` are all a newcomer types.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup demo test release release-check lint bench reliability clean help

help:
	@echo "make demo     release, build a demo cohort, grade it, print the scores"
	@echo "make test     lint, format check and the whole test suite (installs everything it needs)"
	@echo "make lint     ruff check and ruff format --check (100 columns)"
	@echo "make release  regenerate release/ and solutions/ from source/"
	@echo "make bench    grading speed against stock nbgrader autograde"
	@echo "make reliability  hostile submissions and batch faults, with figures"

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $(STAMP)

demo: setup
	$(PY) scripts/demo.py

test: setup lint
	$(PY) -m pytest tests -q -n 2 --dist loadfile

release: setup
	$(VENV)/bin/nncourse release

release-check: setup
	$(VENV)/bin/nncourse release --check

LINTED := nncourse tests autograders scripts benchmarks

lint: setup
	$(VENV)/bin/ruff check $(LINTED)
	$(VENV)/bin/ruff format --check $(LINTED)

reliability: setup
	$(PY) scripts/reliability.py

bench: setup
	$(PY) scripts/bench.py

clean:
	rm -rf examples/graded .bench
