"""Every status a mixbench record carries, in one place.

Trial statuses (the trials table's `status` column): a trial is RUNNING until it ends TERMINATED
(all planned epochs), STOPPED_EARLY (a scheduler stopped it), ERROR (it raised after its retries) or
LOST (started after Ray Tune's last state snapshot, so a resumed Tuner ran its config again as
another trial). MLflow run statuses are MLflow's own names; invocation statuses are the record's.
"""
from __future__ import annotations

# Trials (Parquet)
RUNNING = "RUNNING"
TERMINATED = "TERMINATED"
STOPPED_EARLY = "STOPPED_EARLY"
ERROR = "ERROR"
LOST = "LOST"
TRIAL_STATUSES = (RUNNING, TERMINATED, STOPPED_EARLY, ERROR, LOST)

# MLflow runs (mlflow.entities.RunStatus names)
RUN_RUNNING = "RUNNING"
RUN_FINISHED = "FINISHED"
RUN_FAILED = "FAILED"
RUN_KILLED = "KILLED"

# Invocations (mixbench.json)
INVOCATION_RUNNING = "RUNNING"
INVOCATION_FINISHED = "FINISHED"
