# The kit's commands. `make demo` and `make test` set everything up first.
VENV   := .venv
PYTHON := $(VENV)/bin/python
SETUP  := $(VENV)/.installed

.PHONY: setup demo test test-fast lint skeleton bench clean

setup: $(SETUP)

$(SETUP): pyproject.toml tools/setup.sh
	@tools/setup.sh
	@touch $@

## demo: train the moons classifier, draw a graph, grade the example submissions
demo: $(SETUP)
	@$(PYTHON) -m solutions.demo build/demo
	@$(PYTHON) -m autograder grade-batch examples/submissions --out build/demo/grades --force
	@$(PYTHON) tools/show_gradebook.py build/demo/grades/gradebook.csv
	@echo "feedback for each submission: build/demo/grades/<name>/feedback.md; class summary: build/demo/grades/summary.md"

## test: lint, then the kit's whole test suite
test: $(SETUP) lint
	@$(PYTHON) -m pytest -q -p no:cacheprovider

## test-fast: the suite without the end-to-end tests (nbgrader, kernels, batches, hostile runs): ~90 s
test-fast: $(SETUP)
	@$(PYTHON) -m pytest -q -p no:cacheprovider -m "not slow"

## lint: ruff and mypy (the rules are in pyproject.toml)
LINTED := autograder micrograd_feedback solutions deploy tools tests benchmarks assignments/nbgrader_config.py
lint: $(SETUP)
	@$(VENV)/bin/ruff check $(LINTED)
	@$(VENV)/bin/mypy

## skeleton: regenerate micrograd_skeleton/ (and the example submissions) from solutions/
skeleton: $(SETUP)
	@$(PYTHON) tools/generate_skeleton.py
	@$(PYTHON) tools/generate_examples.py

## bench: grading side by side with BASE (a commit; CPU over every process, alternating runs), then the
## reference engine's speed and this checkout's own figures (cold grade, batch, memory, Dask, nbgrader)
BASE ?= d0b22f2
bench: $(SETUP)
	@$(PYTHON) benchmarks/bench_compare.py $(BASE)
	@if [ -f benchmarks/bench_engine.py ]; then $(PYTHON) benchmarks/bench_engine.py; fi
	@$(PYTHON) benchmarks/bench_grading.py --batch-repeat 3

clean:
	rm -rf $(VENV) build

## Grading platforms (docs/gradescope.md, docs/prairielearn.md, docs/classroom.md).  ASSIGNMENT=value_engine
## (or neural_net) grades that assignment of the rubric only.
.PHONY: bundle gradescope prairielearn classroom50 github-template github-grader

## bundle: the private grader bundle a CI fetches and verifies (prints its sha256)
bundle: $(SETUP)
	@$(PYTHON) -m deploy.bundle --out build/private

## gradescope: Gradescope's autograder.zip
GRADESCOPE_ZIP ?= build/autograder$(if $(ASSIGNMENT),-$(ASSIGNMENT)).zip
gradescope: $(SETUP)
	@$(PYTHON) -m deploy.gradescope build --out $(GRADESCOPE_ZIP) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT))

## prairielearn: the grading image recipe (public) and the course files (private) for PrairieLearn
prairielearn: $(SETUP)
	@$(PYTHON) -m deploy.prairielearn build --out build/prairielearn

## classroom50: Classroom 50's autograders/<slug>/ folders; BUNDLE= where runners fetch the private bundle
classroom50: $(SETUP)
	@$(PYTHON) -m deploy.classroom50 build --out build/classroom50 $(if $(BUNDLE),--bundle $(BUNDLE))

## github-template: the student template repository for plain GitHub Actions: public checks only
## (CI_GRADE=1: also a grade job in every student's repository, pinned to the private bundle; opt-in)
GITHUB_TEMPLATE ?= build/github-template
github-template: $(SETUP)
	@rm -rf $(GITHUB_TEMPLATE)
	@$(PYTHON) -m deploy.github template --out $(GITHUB_TEMPLATE) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT)) \
	  $(if $(CI_GRADE),--ci-grade)

## github-grader: the course repository's workflow that grades every student's repository at the deadline
## and posts the grades back (DEADLINE=2026-12-18T23:59:00Z, ROSTER=roster.csv)
GITHUB_GRADER ?= build/github-grader
github-grader: $(SETUP)
	@$(PYTHON) -m deploy.github course-workflow --out $(GITHUB_GRADER) --deadline $(DEADLINE) \
	  $(if $(ROSTER),--roster $(ROSTER)) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT))

## The nbgrader course in assignments/ (docs/nbgrader.md).  nbgrader runs from
## assignments/, with the venv first on PATH (it calls `alembic` for the gradebook).
COURSE      ?= assignments
ASSIGNMENTS := value_engine neural_net
NBGRADER     = cd $(COURSE) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" nbgrader
.PHONY: notebooks release autograde autograde-fast feedback collect roster export lab student-lab student-wheel \
  student-site

## notebooks: regenerate assignments/source/ from assignments/notebook_src/ and solutions/
notebooks: $(SETUP)
	@$(PYTHON) tools/generate_notebooks.py

## release: the student version of every assignment, in assignments/release/ (refuses to lose edits made
## there since the last release; FORCE=1 discards them)
release: $(SETUP)
	@$(PYTHON) tools/course.py release --course $(COURSE) $(if $(FORCE),--force)

## autograde: grade assignments/submitted/<student>/<assignment>/ into the gradebook
autograde: $(SETUP)
	@for a in $(ASSIGNMENTS); do \
	  if ls -d $(COURSE)/submitted/*/$$a >/dev/null 2>&1; then \
	    ($(NBGRADER) autograde $$a --log-level=WARN) || exit 1; \
	  else echo "autograde: no submissions of $$a under $(COURSE)/submitted/"; fi; \
	done

## autograde-fast: the same gradebook without kernels: the kit grades every submission in parallel (JOBS=),
## then nbgrader's own Autograde pipeline runs with the kit's scores in place of executing cells
autograde-fast: $(SETUP)
	@for a in $(ASSIGNMENTS); do \
	  $(PYTHON) -m autograder nbgrader-autograde $$a --course $(COURSE) $(if $(JOBS),--jobs $(JOBS)) || exit 1; \
	done

## feedback: HTML feedback per student in assignments/feedback/ (hidden tests removed), always
## regenerated: a grade changed in formgrader since shows
feedback: $(SETUP)
	@for a in $(ASSIGNMENTS); do \
	  if ls -d $(COURSE)/autograded/*/$$a >/dev/null 2>&1; then \
	    ($(NBGRADER) generate_feedback $$a --force --log-level=ERROR) || exit 1; \
	    for f in $(COURSE)/feedback/*/$$a/*.html; do echo "feedback: $$f"; done; fi; \
	done

## collect: an LMS download (FROM=folder or .zip: per-student folders, Moodle's or Canvas's names;
## ASSIGNMENT= when its notebooks are renamed) into submitted/, with nbgrader's timestamp.txt; a newer
## hand-in replaces the older (archived in submitted-archive/), an unchanged one is left alone
collect: $(SETUP)
	@$(PYTHON) tools/collect.py $(FROM) --course $(COURSE) $(if $(ASSIGNMENT),--assignment $(ASSIGNMENT))

## roster: the class list (FILE=roster.csv: id,first_name,last_name,email[,lms_user_id,sis_user_id,section])
## into nbgrader's gradebook (names in formgrader and the export) and the course (the class report's names)
roster: $(SETUP)
	@test -n "$(FILE)" || { echo "roster: give the class list, e.g. make roster FILE=roster.csv" >&2; exit 2; }
	@$(PYTHON) -c "import sys; from autograder.intake.roster import read_roster; read_roster(sys.argv[1])" $(FILE)
	@$(NBGRADER) db student import $(abspath $(FILE)) --log-level=WARN
	@cp $(FILE) $(COURSE)/roster.csv
	@echo "roster: $$(($$(wc -l < $(FILE)) - 1)) students in $(COURSE)/gradebook.db and $(COURSE)/roster.csv"

## export: every grade in the gradebook as assignments/grades.csv
export: $(SETUP)
	@$(NBGRADER) export --to grades.csv --log-level=WARN
	@echo "export: $(COURSE)/grades.csv"

ROOT_FLAG = $(if $(filter 0,$(shell id -u)),--allow-root)

## lab: the instructor's JupyterLab on the course (formgrader, create assignment, validate)
lab: $(SETUP)
	@cd $(COURSE) && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" jupyter lab $(LAB_ARGS) $(ROOT_FLAG)

## student-lab: a student's JupyterLab (student mode: no formgrader) on a working copy of the release in
## build/student-lab/, made once and never overwritten; its kernel (and Validate) run in build/student-env/,
## a venv with the student wheel alone, as in a course's student image
STUDENT_LAB ?= build/student-lab
STUDENT_ENV ?= build/student-env
student-lab: $(SETUP)
	@$(PYTHON) tools/course.py workspace $(STUDENT_LAB)
	@$(PYTHON) tools/course.py student-kernel $(STUDENT_ENV)
	@mkdir -p $(STUDENT_LAB)/.jupyter && cp -r deploy/student/jupyter/. $(STUDENT_LAB)/.jupyter/
	@cd $(STUDENT_LAB) && JUPYTER_CONFIG_DIR="$(CURDIR)/$(STUDENT_LAB)/.jupyter" \
	  JUPYTER_PATH="$(CURDIR)/$(STUDENT_ENV)/kernels$${JUPYTER_PATH:+:$$JUPYTER_PATH}" \
	  PATH="$(CURDIR)/$(VENV)/bin:$$PATH" jupyter lab $(LAB_ARGS) $(ROOT_FLAG)

## student-wheel: the student distribution (skeleton, public checks, notebook helpers; no answer) in dist/
student-wheel: $(SETUP)
	@$(PYTHON) tools/build_student_wheel.py --out dist

## student-site: the self-check that runs in a browser alone (docs/students.md): a static site in
## build/student-site/ (Pyodide, an editor, the public checks; no answer, no CDN, no server code)
STUDENT_SITE ?= build/student-site
student-site: $(SETUP)
	@$(PYTHON) tools/build_student_site.py --out $(STUDENT_SITE)
