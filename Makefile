VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test install clean bench

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/mixbench run demo

test: $(STAMP)
	$(PY) -m pytest -q

bench: $(STAMP)
	$(PY) benchmarks/mixing.py
	$(PY) benchmarks/data.py
	$(PY) benchmarks/trainable.py
	$(PY) benchmarks/orchestrator.py
	$(PY) benchmarks/results_store.py
	$(PY) benchmarks/gan.py

clean:
	rm -rf $(VENV) mixbench-runs
