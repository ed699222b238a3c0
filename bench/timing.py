"""Interleaved timing: variants of one model take turns, so that noise from
the rest of the machine falls on all of them alike."""

from __future__ import annotations

import dataclasses
import time
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class Timing:
    """Seconds per call."""

    median: float
    p10: float
    p90: float
    calls: int

    @staticmethod
    def of(samples: list[float]) -> "Timing":
        values = np.asarray(samples)
        return Timing(
            median=float(np.median(values)),
            p10=float(np.percentile(values, 10)),
            p90=float(np.percentile(values, 90)),
            calls=len(values),
        )


def timed(fn: Callable[[], object]) -> tuple[object, float]:
    """fn's result and the seconds it took: for one-off costs (compiles,
    loads) that are not worth repeating."""
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def interleaved(
    variants: dict[str, Callable[[], object]],
    *,
    warmup: int = 5,
    rounds: int = 20,
    calls_per_round: int = 5,
    min_seconds: float = 0.0,
) -> dict[str, Timing]:
    """Times every variant, round-robin, and returns per-call statistics.

    Each sample is one call. Rounds go on until both `rounds` rounds and
    `min_seconds` have passed."""
    for fn in variants.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in variants}
    start = time.perf_counter()
    done = 0
    while done < rounds or time.perf_counter() - start < min_seconds:
        for name, fn in variants.items():
            for _ in range(calls_per_round):
                begin = time.perf_counter()
                fn()
                samples[name].append(time.perf_counter() - begin)
        done += 1
    return {name: Timing.of(values) for name, values in samples.items()}
