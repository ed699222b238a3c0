"""Where a model's time goes, dispatch by dispatch, under IREE's own tools.

    python -m webtensor.bench.profile_dispatches MODEL [--iree-flag=F ...] [--out DIR]

MODEL is any webtensor-bench model. It is compiled as the benchmark's
`bound` variant (weights bound, default options, plus any --iree-flag), and
its artifact, its weights (an IREE parameter archive, scope "model") and its
inputs (.npy) are written to DIR. Then `iree-benchmark-module` runs it with
HAL profiling of each dispatch's execution on the host's task threads
(`--device_profiling_mode=host-execution`: the local-task device has no
`dispatch-events`), and `iree-profile dispatch --format=jsonl` gives each
dispatch function's total: this prints them largest first, per call, and
summed by kind (matmul, conv, softmax, ...; the word IREE names a dispatch
by). The command lines are printed too, to rerun by
hand (e.g. with `iree-profile explain`).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np


def _tool(name: str) -> str:
    found = shutil.which(name) or os.path.join(os.path.dirname(sys.executable), name)
    if not os.path.exists(found):
        raise SystemExit(f"profile_dispatches: error: {name} not found; it ships in the iree-base-runtime wheel")
    return found


def prepare(name: str, out: str, iree_flags: tuple[str, ...]) -> list[str]:
    """Compiles MODEL into `out`; returns iree-benchmark-module's arguments
    for it (module, parameters, function, inputs)."""
    import jax

    import webtensor

    from .suite import BY_NAME

    fn, params, inputs = BY_NAME[name].build()
    model = webtensor.compile(fn, params, *inputs, weights_argnums=0, cache=False, iree_flags=iree_flags)
    os.makedirs(out, exist_ok=True)
    module = os.path.join(out, f"{name}.vmfb")
    model.artifact.save(module)
    archive = os.path.join(out, f"{name}.irpa")
    model._bound.index.create_archive_file(archive)
    (function,) = model.artifact.signatures
    arguments = [f"--module={module}", f"--parameters=model={archive}", f"--function={function}", "--device=local-task"]
    for i, leaf in enumerate(jax.tree_util.tree_leaves(inputs)):
        path = os.path.join(out, f"input{i}.npy")
        np.save(path, np.asarray(leaf))
        arguments.append(f"--input=@{path}")
    return arguments


# main_dispatch_12_matmul_16x64x32_f32, _encoding_5_encode_..: the kind is
# the word after the ordinal.
_KIND = re.compile(r"_(?:dispatch|encoding)_\d+_(?P<kind>[a-z]+(?:_matmul)?)")


def profile(arguments: list[str], out: str, repetitions: int) -> list[dict]:
    """The host-execution dispatch groups of `repetitions` benchmark runs."""
    bundle = os.path.join(out, "profile.ireeprof")
    command = [
        _tool("iree-benchmark-module"),
        *arguments,
        f"--benchmark_repetitions={repetitions}",
        "--device_profiling_mode=host-execution",
        f"--device_profiling_output={bundle}",
    ]
    print("$ " + " ".join(command), file=sys.stderr)
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    report = [_tool("iree-profile"), "dispatch", "--format=jsonl", bundle]
    print("$ " + " ".join(report), file=sys.stderr)
    lines = subprocess.run(report, check=True, capture_output=True, text=True).stdout.splitlines()
    return [row for row in map(json.loads, lines) if row.get("type") == "host_dispatch_group"]


def table(groups: list[dict], top: int) -> str:
    """Per call: the least frequent dispatch runs once a call."""
    calls = min(g["count"] for g in groups)
    total = sum(g["total_ns"] for g in groups)
    lines = [
        f"{total / calls / 1e6:.2f} ms of dispatches per call ({calls} calls)",
        "| dispatch | per call | ms per call | share |",
        "| --- | ---: | ---: | ---: |",
    ]
    for g in sorted(groups, key=lambda g: -g["total_ns"])[:top]:
        lines.append(f"| {g['key']} | {g['count'] / calls:g} | {g['total_ns'] / calls / 1e6:.3f} | {g['total_ns'] / total:.1%} |")
    kinds: collections.Counter = collections.Counter()
    for g in groups:
        match = _KIND.search(g["key"])
        kinds[match["kind"] if match else g["key"]] += g["total_ns"]
    lines += ["", "| kind | ms per call | share |", "| --- | ---: | ---: |"]
    for kind, ns in kinds.most_common():
        lines.append(f"| {kind} | {ns / calls / 1e6:.3f} | {ns / total:.1%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="profile_dispatches", description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--iree-flag", action="append", default=[], help="an extra IREE compiler flag (repeatable)")
    parser.add_argument("--out", default=None, help="directory for the artifact, weights, inputs and profile")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--top", type=int, default=15, help="dispatches to list (default 15)")
    args = parser.parse_args(argv)
    out = args.out or os.path.join("bench-results", "profile", args.model)
    arguments = prepare(args.model, out, tuple(args.iree_flag))
    print(table(profile(arguments, out, args.repetitions), args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
