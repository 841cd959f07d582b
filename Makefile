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

## gradescope: build Gradescope's autograder.zip (docs/gradescope.md)
GRADESCOPE_ZIP ?= build/autograder.zip
.PHONY: gradescope
gradescope: $(SETUP)
	@$(PYTHON) -m deploy.gradescope build --out $(GRADESCOPE_ZIP)

## classroom: the GitHub Classroom student template and the grader bundle (docs/classroom.md)
CLASSROOM_DIR ?= build/classroom-template
.PHONY: classroom
classroom: $(SETUP)
	@rm -rf $(CLASSROOM_DIR)
	@$(PYTHON) -m deploy.classroom template --out $(CLASSROOM_DIR)
	@$(PYTHON) -m deploy.classroom bundle --out build/micrograd-grader.tar.gz
