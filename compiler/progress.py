"""Progress of a compile: which phase runs, and how long each one took.

A real model takes tens of seconds to compile; without a sign of life that
looks like a hang. Every phase (the JAX export, then legalized, sandboxed,
linalg, vmfb) is reported twice, when it starts and when it ends:

- to the logger `webtensor.compile` (INFO, one line per finished phase), and
- to a callback, `callback(phase, seconds)`, with seconds None at the start,
  set for the compiles in a `with reporting(callback):` block
  (`webtensor.compile(..., progress=callback)` sets it for one compile).

The phases after the export run in the compiler worker, another process. It
writes one line per event to its stderr, `webtensor-progress: PHASE [SECONDS]`,
and the parent turns those lines back into calls (`WorkerLines`).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import sys
import time
from typing import Callable, Iterator

Callback = Callable[[str, "float | None"], None]

logger = logging.getLogger("webtensor.compile")

_callback: contextvars.ContextVar[Callback | None] = contextvars.ContextVar("webtensor_progress", default=None)

WORKER_PREFIX = b"webtensor-progress: "


@contextlib.contextmanager
def reporting(callback: Callback | None) -> Iterator[None]:
    """Sends the events of the compiles in this block to `callback` (None: none)."""
    token = _callback.set(callback)
    try:
        yield
    finally:
        _callback.reset(token)


def current() -> Callback | None:
    return _callback.get()


@contextlib.contextmanager
def phase(name: str) -> Iterator[None]:
    """Times one phase and reports its start and end. A phase that fails
    reports no end: the error says what happened."""
    callback = _callback.get()
    if callback is not None:
        callback(name, None)
    start = time.perf_counter()
    yield
    seconds = time.perf_counter() - start
    logger.info("%s phase done in %.2f s", name, seconds)
    if callback is not None:
        callback(name, seconds)


def to_worker_stderr(name: str, seconds: float | None) -> None:
    """The worker's callback: one line per event, for the parent to read."""
    line = WORKER_PREFIX + name.encode() + (b"" if seconds is None else f" {seconds:.6f}".encode()) + b"\n"
    sys.stderr.buffer.write(line)
    sys.stderr.buffer.flush()


class WorkerLines:
    """Takes the progress lines out of the worker's stderr as it arrives and
    reports them to the callback that was current when it was made; the
    rest of stderr (a crash's last words) is kept as it came."""

    def __init__(self):
        self.callback = _callback.get()
        self._partial = b""

    def feed(self, chunk: bytes) -> bytes:
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        kept = [line + b"\n" for line in lines if not self._report(line)]
        # An unfinished line waits for its end only if it may be ours.
        if not WORKER_PREFIX.startswith(self._partial[: len(WORKER_PREFIX)]):
            kept.append(self._partial)
            self._partial = b""
        return b"".join(kept)

    def _report(self, line: bytes) -> bool:
        if not line.startswith(WORKER_PREFIX):
            return False
        name, _, seconds = line[len(WORKER_PREFIX) :].decode("utf-8", "replace").partition(" ")
        try:
            value = float(seconds) if seconds else None
        except ValueError:
            return False
        if value is not None:
            logger.info("%s phase done in %.2f s", name, value)
        if self.callback is not None:
            self.callback(name, value)
        return True
