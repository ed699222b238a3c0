"""How long a work unit takes: the budget's cost model against the clock.

    python -m webtensor.bench.budget            # the table
    python -m webtensor.bench.budget --stop     # also: runaway calls at the default budget

The budget (dialects/cost.py) charges each loop iteration a static price in
work units, meant to be pessimistic: about a tenth of a nanosecond of CPU
time each, so that the default budget of 10^11 units bounds a call to about
ten seconds. For one loop per kind of work (per-iteration overhead,
element-wise arithmetic, transcendental functions, 64-bit math, integer
division, matrix products, gathers, sorts), this runs a few iterations,
times them, and divides by the charge: nanoseconds per unit. A kind whose
figure is above 0.1 is one the model undercharges.

`--stop` runs the issue's runaway calls at the default budget and reports
how long each took to end with BudgetExceeded.
"""

from __future__ import annotations

import argparse
import time

import jax
import jax.numpy as jnp
import numpy as np

N = 1 << 20


def _kinds():
    f32, f64 = np.zeros(N, np.float32), np.zeros(N, np.float64)
    return {
        "iteration (scalar add)": (lambda c: c + 1.0, np.float32(0)),
        "add, 2^20 f32": (lambda c: c + 1.0, f32),
        "exp, 2^20 f32": (lambda c: jnp.exp(c) * 0.5, f32),
        "tanh, 2^20 f32": (lambda c: jnp.tanh(c), f32),
        "exp, 2^20 f64": (lambda c: jnp.exp(c) * 0.5, f64),
        "power, 2^20 f64": (lambda c: (c + 1.0) ** 1.01, f64),
        "integer divide, 2^20 i32": (lambda c: c // 3 + 7, np.ones(N, np.int32)),
        "matmul 512^3 f32": (lambda c: c @ c * 1e-3, np.eye(512, dtype=np.float32)),
        "gather 2^20, strided": (lambda c: c[(jnp.arange(N, dtype=jnp.int32) * 7919) % N] + 1.0, f32),
        "sort 16384 f32": (lambda c: jnp.sort(c[::-1]), np.arange(16384, dtype=np.float32)),
        "cumsum 65536 f32": (lambda c: jnp.cumsum(c) * 1e-6, np.ones(65536, np.float32)),
    }


def _loop(body):
    def run(n, x):
        return jax.lax.fori_loop(0, n, lambda i, c: body(c), x)

    return run


def calibrate(kinds: dict, repeats: int = 3) -> list[tuple[str, int, float]]:
    """(kind, units charged per iteration, seconds per iteration), the
    median of `repeats` timings of the difference between a short and a
    longer run (so that the call's fixed cost cancels)."""
    import webtensor

    rows = []
    for name, (body, x) in kinds.items():
        model = webtensor.compile(_loop(body), np.int32(1), x)
        (charge,) = model.signature.loop_costs
        short, long = 2, 2 + max(2, min(50, int(2e9 // charge)))
        unlimited = 1 << 62
        model(np.int32(short), x, fuel=unlimited)
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(np.int32(short), x, fuel=unlimited)
            t1 = time.perf_counter()
            model(np.int32(long), x, fuel=unlimited)
            t2 = time.perf_counter()
            samples.append(max((t2 - t1) - (t1 - t0), 0.0) / (long - short))
        rows.append((name, charge, float(np.median(samples))))
    return rows


def runaway() -> list[tuple[str, float, str]]:
    """The issue's runaway calls at the default budget: (case, seconds to
    end, how it ended)."""
    import webtensor

    x512 = np.eye(512, dtype=np.float32)
    big = np.ones(N, np.float32)
    cases = {
        "while: 512^3 matmul per iteration, n = 10^6": (
            lambda n, x: jax.lax.fori_loop(0, n, lambda i, y: y @ x, x), (np.int32(10**6), x512)),
        "infinite while, scalar body": (
            lambda x: jax.lax.while_loop(lambda c: c >= 0, lambda c: c + 1, x), (np.int32(0),)),
        "infinite while, 2^20-element add": (
            lambda x: jax.lax.while_loop(lambda c: c[0] >= 0, lambda c: c + 1.0, x), (big,)),
        "six chained 4096^3 matmuls, no loop": (
            lambda a: a @ a @ a @ a @ a @ a @ a, (np.zeros((4096, 4096), np.float32),)),
    }
    rows = []
    for name, (fn, args) in cases.items():
        model = webtensor.compile(fn, *args)
        start = time.perf_counter()
        try:
            model(*args)
            outcome = "finished"
        except webtensor.BudgetExceeded:
            outcome = "BudgetExceeded"
        rows.append((name, time.perf_counter() - start, outcome))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webtensor.bench.budget", description=__doc__.splitlines()[0])
    parser.add_argument("--stop", action="store_true", help="also time runaway calls at the default budget")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"{'kind of work':<28} {'units/iteration':>16} {'us/iteration':>13} {'ns/unit':>8}")
    for name, charge, seconds in calibrate(_kinds(), args.repeats):
        print(f"{name:<28} {charge:>16,} {seconds * 1e6:>13.1f} {seconds * 1e9 / charge:>8.4f}", flush=True)
    if args.stop:
        print()
        print(f"{'runaway call (default budget)':<46} {'seconds':>8}  outcome")
        for name, seconds, outcome in runaway():
            print(f"{name:<46} {seconds:>8.2f}  {outcome}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
