"""A model's IREE VM contexts: one per call in flight, up to a limit.

An IREE VM context is thread-compatible, not thread-safe: one call at a time
may use it. A model keeps a small pool of contexts over its one module and
device; a call takes an idle one, or makes one while the pool is below its
size, or waits. The size is per driver, from measurements on 2 cores with
2 threads calling one model (a 256x256 matmul; a 4-element add):

- local-sync runs a call in the calling thread, on one core: a context per
  concurrent call ran 1.7-1.9x as many calls per second as one shared
  context. Its pool holds one context per core.
- local-task already spreads one call over every core: concurrent calls on
  separate contexts only competed for them (0.8x). One context.
- GPU drivers: calls meet on the device's queue anyway. One context.
"""

from __future__ import annotations

import os
import queue
import threading
from typing import Callable

import iree.runtime as ireert


def pool_size(driver: str) -> int:
    return max(1, os.cpu_count() or 1) if driver == "local-sync" else 1


class ContextPool:
    """`take()` a context for one invocation, `give(context)` it back."""

    def __init__(self, make: Callable[[], ireert.VmContext], size: int):
        self._make = make
        self._size = size
        self._idle: queue.SimpleQueue = queue.SimpleQueue()
        self._idle.put(make())  # the first one at load time: a broken artifact fails there
        self._count = 1
        self._lock = threading.Lock()

    @property
    def busy(self) -> int:
        """Contexts in use by a call right now."""
        return self._count - self._idle.qsize()

    def take(self) -> ireert.VmContext:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            grow = self._count < self._size
            if grow:
                self._count += 1
        if not grow:
            return self._idle.get()
        try:
            return self._make()
        except BaseException:
            with self._lock:
                self._count -= 1
            raise

    def give(self, context: ireert.VmContext) -> None:
        self._idle.put(context)
