"""What webtensor-compile shows while it compiles.

On a terminal, one status line per phase: the phase and its running time,
then the time it took. `--timings` prints a table of the phases at the end,
terminal or not. Nothing else is printed when stderr is not a terminal, so
that logs and lit tests see only results and errors.
"""

from __future__ import annotations

import threading
import time
from typing import TextIO

TICK_SECONDS = 0.5


class PhaseDisplay:
    """A compiler/progress.py callback: `display(phase, seconds)`."""

    def __init__(self, prog: str, stream: TextIO, live: bool):
        self.prog = prog
        self.stream = stream
        self.live = live
        self.timings: list[tuple[str, float]] = []
        self._running: tuple[str, float] | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None

    def __call__(self, phase: str, seconds: float | None) -> None:
        with self._lock:
            if seconds is None:
                self._running = (phase, time.monotonic())
                self._status(f"{phase} ...")
                self._start_ticker()
                return
            self._running = None
            self.timings.append((phase, seconds))
            self._status(f"{phase} {seconds:.2f} s", final=True)

    def close(self) -> None:
        """Stops the ticker and ends an unfinished status line (a failed phase)."""
        self._stop.set()
        with self._lock:
            if self._running is not None and self.live:
                self.stream.write("\n")
                self.stream.flush()
            self._running = None

    def table(self) -> str:
        width = max([len("total")] + [len(name) for name, _ in self.timings])
        lines = [f"{'phase':<{width}}  seconds"]
        lines += [f"{name:<{width}}  {seconds:7.2f}" for name, seconds in self.timings]
        lines.append(f"{'total':<{width}}  {sum(s for _, s in self.timings):7.2f}")
        return "\n".join(lines)

    def _status(self, text: str, final: bool = False) -> None:
        if not self.live:
            return
        # \r and erase-to-end-of-line: the running line is rewritten in place.
        self.stream.write(f"\r{self.prog}: {text}\x1b[K" + ("\n" if final else ""))
        self.stream.flush()

    def _start_ticker(self) -> None:
        if not self.live or self._ticker is not None:
            return
        self._ticker = threading.Thread(target=self._tick, name="webtensor-compile-progress", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(TICK_SECONDS):
            with self._lock:
                if self._running is not None:
                    phase, start = self._running
                    self._status(f"{phase} {time.monotonic() - start:.1f} s")
