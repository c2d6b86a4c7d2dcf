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

# Up to 4 workers (one per core), each test sent to whichever is free: the end-to-end tests each start
# their own Ray, and spend much of their time waiting on it. `pytest` alone runs the suite serially.
test: $(STAMP)
	$(PY) -m pytest -q -n auto --maxprocesses 4 --dist worksteal

bench: $(STAMP)
	$(PY) benchmarks/mixing.py
	$(PY) benchmarks/data.py
	$(PY) benchmarks/trainable.py
	$(PY) benchmarks/orchestrator.py
	$(PY) benchmarks/results_store.py
	$(PY) benchmarks/mlflow_outage.py
	$(PY) benchmarks/gan.py

clean:
	rm -rf $(VENV) mixbench-runs
