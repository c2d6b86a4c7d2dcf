"""The background worker every MLflow call of a run goes through: Tune's driver loop only enqueues.

One daemon thread runs the calls in the order they were submitted (so a run is opened before its
metrics are logged and closed after them). A call that fails stays at the head of the queue and is
tried again with exponential backoff (0.5 s doubling to 30 s): nothing is dropped because the
server is down, and the calls behind it wait their turn. Two kinds of failure drop a call instead,
each with a warning line: an error that retrying cannot fix (a bad parameter, a missing resource,
no permission, a bug), and a call that keeps failing while the store answers a probe (MLflow is up
but rejects this request). Parquet is the record, so whatever a dropped call would have written is
rebuilt by `mixbench sync-mlflow` (`mlflow_sync`).

`drain(timeout)` waits for the queue to empty, at most `timeout` seconds, and no longer once MLflow
has been failing for `outage_s` and has failed once more since the drain began (a drain cuts the
backoff short, so a server that has just come back is noticed at once): an outage costs a stage
one attempt (about 2 s against a refused port, 35 s against a silent one). What is left keeps
trying in the background while the run goes on and is lost when the process ends.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from orchestrator.record.mlflow_store import first_line

log = logging.getLogger("mixbench")

# MLflow error codes that no retry fixes (the rest, connection errors and timeouts included, are
# retried: a server that is down, restarting or overloaded answers later).
PERMANENT_CODES = frozenset({
    "INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST", "RESOURCE_ALREADY_EXISTS", "INVALID_STATE",
    "BAD_REQUEST", "MALFORMED_REQUEST", "PERMISSION_DENIED", "UNAUTHENTICATED", "ENDPOINT_NOT_FOUND",
    "NOT_FOUND", "ALREADY_EXISTS", "NOT_IMPLEMENTED", "FEATURE_DISABLED",
})
PROGRAMMING_ERRORS = (TypeError, AttributeError, KeyError, IndexError, ValueError, AssertionError)
WARN_DROPS = 3  # drop warnings shown one by one; later drops are only counted


def is_permanent(exc: BaseException) -> bool:
    code = getattr(exc, "error_code", None)
    if code is not None:
        return code in PERMANENT_CODES
    return isinstance(exc, PROGRAMMING_ERRORS)


@dataclass
class Task:
    label: str
    fn: Callable[[], Any]
    attempts: int = 0
    result: Any = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)


class MlflowWorker:
    """Runs MLflow calls in submission order on one daemon thread, with backoff while they fail.

    `probe` (a cheap read, e.g. `Tracking.ping`) tells "MLflow is down" from "this call is bad" after
    `probe_after` failures of one call. `max_pending` bounds memory in a long outage: beyond it,
    calls Parquet can rebuild are dropped (counted) instead of queued.
    """

    def __init__(self, probe: Callable[[], None] | None = None, *, name: str = "mlflow", backoff_s: float = 0.5,
                 max_backoff_s: float = 30.0, outage_s: float = 10.0, probe_after: int = 3,
                 max_pending: int = 50_000) -> None:
        self.name = name
        self._probe = probe
        self.backoff_s, self.max_backoff_s, self.outage_s = backoff_s, max_backoff_s, outage_s
        self.probe_after, self.max_pending = probe_after, max_pending
        self._tasks: deque[Task] = deque()
        self._cond = threading.Condition()
        self._closed = False
        self._failing_since: float | None = None
        self._last_failure = float("-inf")
        self._announced = False
        self._poked = False
        self.delivered = 0
        self.dropped = 0
        self._thread = threading.Thread(target=self._loop, name=f"mixbench-{name}", daemon=True)
        self._thread.start()

    # -- the caller's side (Tune's driver thread) -------------------------------------------

    def submit(self, label: str, fn: Callable[[], Any], rebuildable: bool = True) -> Task:
        """Queue `fn` (never blocks); its outcome lands in the returned task."""
        task = Task(label, fn)
        with self._cond:
            if self._closed or (rebuildable and len(self._tasks) >= self.max_pending):
                self._drop(task, RuntimeError("the MLflow queue is closed or full"))
                return task
            self._tasks.append(task)
            self._cond.notify_all()
        return task

    def call(self, label: str, fn: Callable[[], Any], timeout: float) -> Any:
        """Queue `fn` and wait at most `timeout` seconds (less once MLflow is known to be down) for
        its result; TimeoutError if it did not come (the call stays queued), its error if dropped."""
        task = self.submit(label, fn)
        self.wait(task.done.is_set, timeout)
        if not task.done.is_set():
            raise TimeoutError(f"MLflow did not answer within {timeout:.0f} s ({self.status()})")
        if task.error is not None:
            raise task.error
        return task.result

    def wait(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until `predicate()` holds, at most `timeout` seconds, and no longer once MLflow has
        been failing for `outage_s` and has failed again since the wait began; returns whether it
        holds. A wait during an outage makes the worker try again now instead of after its backoff."""
        started = time.monotonic()
        deadline = started + timeout
        with self._cond:
            self._poked = True
            self._cond.notify_all()
            while not predicate():
                remaining = deadline - time.monotonic()
                down = self.failing_for() >= self.outage_s and self._last_failure >= started
                if remaining <= 0 or self._closed or down:
                    break
                self._cond.wait(min(remaining, 0.5))
            return predicate()

    def drain(self, timeout: float) -> int:
        """Wait for every queued call (see the module docstring for the bounds); returns how many
        are still queued."""
        self.wait(lambda: not self._tasks, timeout)
        return self.pending()

    def pending(self) -> int:
        with self._cond:
            return len(self._tasks)

    def failing_for(self) -> float:
        """Seconds MLflow calls have been failing without a success in between (0: healthy)."""
        since = self._failing_since
        return 0.0 if since is None else time.monotonic() - since

    def status(self) -> str:
        state = f"failing for {self.failing_for():.0f} s" if self._failing_since is not None else "healthy"
        return f"{self.pending()} calls queued, {self.dropped} dropped, {state}"

    def close(self, timeout: float = 2.0) -> int:
        """Stop after the call in progress (waiting at most `timeout` s for it); returns the calls left."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        return self.pending()

    def backoff_delay(self, attempts: int) -> float:
        """Seconds before the next try of a call that failed `attempts` times: doubling, capped."""
        return min(self.max_backoff_s, self.backoff_s * 2 ** max(0, attempts - 1))

    @property
    def closed(self) -> bool:
        return self._closed

    # -- the worker thread ------------------------------------------------------------------

    def _loop(self) -> None:
        while True:
            with self._cond:
                while not self._tasks and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                task = self._tasks[0]
            error = self._run(task)
            if error is None:
                continue
            if is_permanent(error):
                self._finish(task, error=error, dropped=True)
                continue
            if task.attempts >= self.probe_after and self._store_answers():
                if self._run(task) is not None:  # MLflow answers, this call fails: it is the call
                    self._finish(task, error=task.error, dropped=True, store_answers=True)
                continue
            with self._cond:  # a poke (a drain began) cuts the backoff short
                self._cond.wait_for(lambda: self._closed or self._poked, timeout=self.backoff_delay(task.attempts))
                self._poked = False

    def _run(self, task: Task) -> BaseException | None:
        """One attempt; on success the task leaves the queue."""
        try:
            result = task.fn()
        except Exception as exc:
            task.attempts += 1
            task.error = exc
            if not is_permanent(exc):
                self._failing(exc)
            return exc
        task.error = None
        task.result = result
        self._finish(task, error=None, dropped=False)
        return None

    def _store_answers(self) -> bool:
        if self._probe is None:
            return False
        try:
            self._probe()
            return True
        except Exception:
            return False

    def _failing(self, exc: BaseException) -> None:
        with self._cond:
            self._last_failure = time.monotonic()
            if self._failing_since is None:
                self._failing_since = self._last_failure
            elif not self._announced:  # the second failure in a row: an outage, not a blip
                self._announced = True
                log.warning("MLflow (%s) is failing: %s; its calls wait and retry in the background, "
                            "Parquet keeps the record", self.name, first_line(exc))
            self._cond.notify_all()

    def _finish(self, task: Task, error: BaseException | None, dropped: bool, store_answers: bool = False) -> None:
        with self._cond:
            if self._tasks and self._tasks[0] is task:
                self._tasks.popleft()
            if dropped:
                self._drop(task, error)
                if store_answers:
                    self._failing_since, self._announced = None, False
            else:
                self.delivered += 1
                if self._failing_since is not None and self._announced:
                    log.warning("MLflow (%s) answers again after %.0f s; %d calls queued", self.name,
                                self.failing_for(), len(self._tasks))
                self._failing_since, self._announced = None, False
            task.done.set()
            self._cond.notify_all()

    def _drop(self, task: Task, error: BaseException | None) -> None:
        """Called holding the lock."""
        self.dropped += 1
        task.error = error
        task.done.set()
        if self.dropped <= WARN_DROPS:
            more = "" if self.dropped < WARN_DROPS else " (further drops are only counted)"
            log.warning("MLflow (%s): gave up on %s: %s; `mixbench sync-mlflow` rebuilds it from Parquet%s",
                        self.name, task.label, first_line(error) if error else "unknown error", more)
