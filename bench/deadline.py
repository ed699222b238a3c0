"""Deadlines that stop the work: what calls in a child process
(`load(..., process=True)`) cost per call, how fast a deadline stops the
work, and how soon the model serves again.

    python -m webtensor.bench.deadline [--seconds S] [--repeats N] [--no-chain]

Per-call cost: the same model called in this process and in a child, in
turns (median microseconds per call), on 4-element f32 vectors and on
64 MiB ones (one input, one result). Stop and recover, per runaway call (an
infinite loop; six chained 4096^3 matmuls, which have no loop): after the
deadline, how long until the caller gets Timeout, until the child is dead
(its CPU time stops: the slack), and how long the next call takes (a new
child starts, or the spare takes over). For contrast, the in-process
deadline: the abandoned call runs on, and the next call waits for it.
Memory: a child's resident set (what a spare costs, before weights).
"""

from __future__ import annotations

import os
import select
import statistics
import sys
import time

import numpy as np

from .models import SQUARING_LOOP
from .timing import interleaved, timed



def _add(n: int) -> str:
    return f"""
func.func @main(%a: tensor<{n}xf32>) -> tensor<{n}xf32> {{
  %0 = stablehlo.add %a, %a : tensor<{n}xf32>
  return %0 : tensor<{n}xf32>
}}
"""


CHAIN_N = 4096
_MATMUL = (
    f"stablehlo.dot_general %{{a}}, %x, contracting_dims = [1] x [0] : "
    f"(tensor<{CHAIN_N}x{CHAIN_N}xf32>, tensor<{CHAIN_N}x{CHAIN_N}xf32>) -> tensor<{CHAIN_N}x{CHAIN_N}xf32>"
)
CHAIN = "\n".join(
    [f"func.func @main(%x: tensor<{CHAIN_N}x{CHAIN_N}xf32>) -> tensor<{CHAIN_N}x{CHAIN_N}xf32> {{"]
    + [f"  %m{i} = " + _MATMUL.format(a="x" if i == 0 else f"m{i - 1}") for i in range(6)]
    + [f"  return %m5 : tensor<{CHAIN_N}x{CHAIN_N}xf32>", "}"]
)

FOREVER = np.int64(1 << 62)
BIG = 16 << 20  # float32 elements: 64 MiB


def _compile(source: str) -> bytes:
    import webtensor

    return webtensor.compile(source).artifact.data


def per_call(seconds: float) -> list[tuple[str, float, float]]:
    """(tensor size, in-process us, child us) per size."""
    import webtensor

    rows = []
    for label, n, rounds in (("4 x f32", 4, 200), ("64 MiB f32", BIG, 10)):
        data = _compile(_add(n))
        a = np.random.default_rng(0).standard_normal(n).astype(np.float32)
        here = webtensor.load(data, process=False)
        child = webtensor.load(data, process=True)
        timings = interleaved(
            {"here": lambda: here(a), "child": lambda: child(a)},
            warmup=3 if n > 4 else 100, rounds=rounds, calls_per_round=5 if n > 4 else 20, min_seconds=seconds,
        )
        rows.append((label, timings["here"].median * 1e6, timings["child"].median * 1e6))
        child.close()
    return rows


def _dead_at(pid: int) -> float:
    """When process `pid` had ended, every thread of it: its pidfd turns
    readable then (it may not be ours to wait for: the zygote forks it)."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return time.monotonic()  # reaped already
    try:
        select.select([pidfd], [], [])
        return time.monotonic()
    finally:
        os.close(pidfd)


def stop_and_recover(data: bytes, args: tuple, deadline: float, spare: bool, repeats: int) -> dict[str, float]:
    """Medians in ms after the deadline: Timeout raised, child dead; and the
    next (small) call's latency."""
    import webtensor
    from webtensor.runtime.call_process import ProcessOptions
    from webtensor.runtime.limits import MAX_FUEL

    model = webtensor.load(data, process=ProcessOptions(spare=spare))
    small = _small_call(model)
    raised, dead, recover = [], [], []
    for _ in range(repeats):
        _settle(model, spare)
        if small is not None:
            small()
        pids = set(model.process_ids())
        start = time.monotonic()
        try:
            model(*args, fuel=MAX_FUEL, deadline=deadline)
        except webtensor.Timeout:
            pass
        expired = start + deadline
        raised.append(time.monotonic() - expired)
        (killed,) = pids - set(model.process_ids()) or pids
        dead.append(_dead_at(killed) - expired)
        if small is not None:
            recover.append(timed(small)[1])
    model.close()
    return {
        "timeout": statistics.median(raised) * 1e3,
        "dead": statistics.median(dead) * 1e3,
        "next call": statistics.median(recover) * 1e3 if recover else None,
    }


def _small_call(model):
    """A call that does almost nothing, where the model has one (the loop)."""
    if len(model.signature.inputs) != 2:
        return None
    x = np.ones(4, np.float32)
    return lambda: model(np.int64(1), x)


def _settle(model, spare: bool, within: float = 120.0) -> None:
    """Waits until the model has its children (the spare too) started."""
    want = 2 if spare else 1
    end = time.monotonic() + within
    while len(model.process_ids()) < want and time.monotonic() < end:
        time.sleep(0.01)


def in_process_contrast(data: bytes, deadline: float) -> dict[str, float]:
    """The thread deadline: an abandoned loop of about 3 s runs on; the next
    call waits for it. Seconds."""
    import webtensor

    model = webtensor.load(data, process=False)
    x = np.ones(4, np.float32)
    iterations = 20_000
    _, seconds = timed(lambda: model(np.int64(iterations), x))
    n = np.int64(max(1, int(iterations * 3.0 / seconds)))
    start = time.monotonic()
    try:
        model(n, x, deadline=deadline)
    except webtensor.Timeout:
        pass
    model(np.int64(1), x)
    return {"next call": time.monotonic() - start - deadline}


def child_memory() -> dict[str, float]:
    """MiB resident in an idle child of a small model (RSS, and PSS: its
    share of pages shared with others)."""
    import webtensor

    model = webtensor.load(_compile(_add(4)), process=True)
    (pid,) = model.process_ids()
    sizes = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("Rss", "Pss"):
                sizes[key] = int(value.split()[0]) / 1024
    _, start = timed(lambda: webtensor.load(model.artifact.data, process=True).close())
    _, here = timed(lambda: webtensor.load(model.artifact.data, process=False))
    model.close()
    return {"rss": sizes["Rss"], "pss": sizes["Pss"], "load child": start * 1e3, "load here": here * 1e3}


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m webtensor.bench.deadline", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timing per size (default 3)")
    parser.add_argument("--repeats", type=int, default=3, help="runaway calls per case (default 3)")
    parser.add_argument("--deadline", type=float, default=0.5, help="the runaway calls' deadline (default 0.5 s)")
    parser.add_argument("--no-chain", action="store_true", help="skip the 4096^3 matmul chain (64 MiB input)")
    args = parser.parse_args(argv)

    print("Per call (median us)\n")
    print("| tensors | in this process | in a child | child's extra |")
    print("| --- | ---: | ---: | ---: |")
    for label, here, child in per_call(args.seconds):
        print(f"| {label} | {here:.0f} | {child:.0f} | {child - here:+.0f} |")

    loop = _compile(SQUARING_LOOP)
    cases = [("infinite loop", loop, (FOREVER, np.ones(4, np.float32)))]
    if not args.no_chain:
        x = np.random.default_rng(1).standard_normal((CHAIN_N, CHAIN_N)).astype(np.float32)
        cases.append(("6 chained 4096^3 matmuls", _compile(CHAIN), (x,)))
    print(f"\nStop and recover: a runaway call with deadline={args.deadline:g} s (median of {args.repeats}, ms after the deadline)\n")
    print("| runaway call | spare | Timeout raised | child dead (CPU slack) | next call |")
    print("| --- | --- | ---: | ---: | ---: |")
    for name, data, call_args in cases:
        for spare in (False, True):
            r = stop_and_recover(data, call_args, args.deadline, spare, args.repeats)
            nxt = "n/a" if r["next call"] is None else f"{r['next call']:.0f}"
            print(f"| {name} | {'yes' if spare else 'no'} | {r['timeout']:.1f} | {r['dead']:.1f} | {nxt} |")
    contrast = in_process_contrast(loop, args.deadline)
    print(
        f"\nIn this process (thread deadline), an abandoned loop of about 3 s ran on; the next call "
        f"waited {contrast['next call']:.2f} s after the deadline (an infinite one: until its fuel ends)."
    )
    memory = child_memory()
    print(
        f"\nA child of a 4-element model: {memory['rss']:.0f} MiB resident ({memory['pss']:.0f} MiB proportional); "
        f"load with a child {memory['load child']:.0f} ms, in this process {memory['load here']:.0f} ms."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
