# The kit's commands. `make demo` and `make test` set everything up first.
VENV   := .venv
PYTHON := $(VENV)/bin/python
SETUP  := $(VENV)/.installed

.PHONY: setup demo test skeleton bench clean

setup: $(SETUP)

$(SETUP): pyproject.toml tools/setup.sh
	@tools/setup.sh
	@touch $@

## demo: train the moons classifier, draw a graph, grade the example submissions
demo: $(SETUP)
	@$(PYTHON) -m solutions.demo build/demo

## test: the kit's whole test suite
test: $(SETUP)
	@$(PYTHON) -m pytest -q -p no:cacheprovider

## skeleton: regenerate micrograd_skeleton/ from solutions/
skeleton: $(SETUP)
	@$(PYTHON) tools/generate_skeleton.py

## bench: speed of the reference engine (and, later, of grading)
bench: $(SETUP)
	@$(PYTHON) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) build
