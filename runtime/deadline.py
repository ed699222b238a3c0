"""Wall-clock deadlines for work that cannot be interrupted.

An IREE invocation cannot be stopped from Python. `run_within` runs the work
on a worker thread and waits for it until the deadline; past it, the caller
gets the timeout error at once and the work is abandoned: it runs on to its
end (the caller of `run_within` must make that end come, as the fuel does
for a model's loops), and its result or error is dropped. The work is told
through an Event, so that if it has not started the real work yet it can
skip it.

This is the deadline of a model whose calls run in this process. One whose
calls run in a child process (runtime/call_process.py) waits on the child's
socket instead, and kills the child at the deadline, so that the work stops.

Worker threads are kept for reuse (starting a thread costs about 100 us,
handing work to an idle one about 10 us) and end after a while unused. They
are daemon threads: an abandoned call does not keep the process alive.
"""

from __future__ import annotations

import dataclasses
import math
import queue
import threading
import time
from typing import Any, Callable

import numpy as np

from .errors import InvalidArgument

_IDLE_SECONDS = 30.0


def check_deadline(deadline: float | None) -> float | None:
    """Seconds, or None for no deadline (None or math.inf)."""
    if deadline is None:
        return None
    number = isinstance(deadline, (int, float, np.integer, np.floating)) and not isinstance(deadline, bool)
    if not number or not deadline > 0:
        raise InvalidArgument(f"deadline must be a positive number of seconds, or None, got {deadline!r}")
    return None if math.isinf(deadline) else float(deadline)


@dataclasses.dataclass(frozen=True)
class Deadline:
    seconds: float
    expires: float  # on time.monotonic()'s clock

    @staticmethod
    def start(seconds: float | None) -> "Deadline | None":
        return None if seconds is None else Deadline(seconds, time.monotonic() + seconds)


def run_within(deadline: Deadline, work: Callable[[threading.Event], Any], timeout: Callable[[], Exception]) -> Any:
    """`work(abandoned)` on a worker thread; its result, or its exception
    re-raised here, or `timeout()` raised once the deadline has passed (and
    `abandoned` set)."""
    remaining = deadline.expires - time.monotonic()
    if remaining <= 0:
        raise timeout()
    done = threading.Event()
    abandoned = threading.Event()
    outcome: list[tuple[bool, Any]] = []

    def job():
        try:
            outcome.append((True, work(abandoned)))
        except BaseException as e:  # handed to the caller's thread
            outcome.append((False, e))

    _submit(job, done)
    if not done.wait(min(remaining, threading.TIMEOUT_MAX)):
        abandoned.set()
        raise timeout()
    finished, value = outcome[0]
    if finished:
        return value
    raise value


_lock = threading.Lock()
_idle: list["_Worker"] = []


class _Worker:
    def __init__(self):
        self.jobs: queue.SimpleQueue = queue.SimpleQueue()
        threading.Thread(target=self._loop, name="webtensor-deadline", daemon=True).start()

    def _loop(self) -> None:
        while True:
            try:
                job, done = self.jobs.get(timeout=_IDLE_SECONDS)
            except queue.Empty:
                with _lock:
                    if self in _idle:
                        _idle.remove(self)
                        return
                continue  # taken for a job just now: it is on its way
            job()
            del job  # hold nothing of the call while idle
            # Idle again before the caller hears of it, so that its next call
            # finds this thread rather than starting one.
            with _lock:
                _idle.append(self)
            done.set()


def _submit(job: Callable[[], None], done: threading.Event) -> None:
    with _lock:
        worker = _idle.pop() if _idle else None
    if worker is None:
        worker = _Worker()
    worker.jobs.put((job, done))
