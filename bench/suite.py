"""`webtensor-bench`: the model zoo through WebTensor, its peers and plain IREE.

For every zoo model, in one process and in turns (bench/timing.py):

  bound         sandboxed, default options, the weights bound
                (weights_argnums=0: parameters, packed once at load), called
                with numpy arrays in and out: the headline
  bound-device  the same model with inputs and outputs in device memory, as
                XLA's are (each input is still copied on the device: IREE
                may write into its inputs, and a model never changes the
                caller's)
  full          the full signature: the weights passed on every call
  constants     the weights closed over and baked into the program
                (hoist_constants=False)
  unsandboxed   `bound` without the sandbox phase: the sandbox's cost
  iree          plain IREE 3.13 on the same StableHLO (weights as
                arguments), its default flags
  xla           jax.jit on the CPU, the weights passed per call as JAX does
                (device-resident)
  onnxruntime   where the `bench` extra (onnxruntime, jax2onnx) is installed
                and jax2onnx exports the model (bench/onnx_models.py); otherwise absent

The summary's WebTensor figure is the faster of bound and bound-device, the
two ways a host calls a model with bound weights.

`--suite real` (bench/real_zoo.py, the optional `zoo` extra) times
third-party architectures: bound and bound-device against xla only, each
model in a process of its own, so that the compile worker's peak resident
memory (the only child that process waits for) is the model's own. Its table
gives the latency ratio, cold compile seconds against XLA's and the worker's
peak memory against the model's weight bytes.

It prints a Markdown table (median, p10-p90, ratio to XLA and to the best
peer) and writes results.json, results.md and, with matplotlib, results.png.
Timing is reported, never asserted: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import resource
import sys
import tempfile
from typing import Any, Callable

import numpy as np

from .timing import Timing, interleaved, timed
from . import real_zoo, zoo as synthetic
from .zoo import ZooModel

SUITES = {**synthetic.SUITES, "real": real_zoo.MODELS}
BY_NAME = {model.name: model for model in [*synthetic.BY_NAME.values(), *real_zoo.MODELS, real_zoo.SMOKE]}

PEERS = ("xla", "onnxruntime")
WEBTENSOR = ("bound", "bound-device")


@dataclasses.dataclass
class ModelResult:
    model: str
    description: str
    timings: dict[str, Timing]
    compile_seconds: dict[str, float]
    cache_hit_seconds: float
    artifact_bytes: int
    peak_rss_mb: float
    notes: list[str]
    kind: str = "synthetic"
    weight_bytes: int = 0
    worker_peak_rss_mb: float = math.nan

    def ratio(self, variant: str, to: str) -> float | None:
        if variant not in self.timings or to not in self.timings:
            return None
        return self.timings[variant].median / self.timings[to].median

    @property
    def webtensor(self) -> str:
        return min(WEBTENSOR, key=lambda v: self.timings[v].median)

    @property
    def best_peer(self) -> str:
        present = [p for p in PEERS if p in self.timings]
        return min(present, key=lambda p: self.timings[p].median)


def _peak_rss_mb() -> float:
    # VmHWM: this process's peak resident set, in kB.
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _plain_iree(fn: Callable, args: tuple) -> tuple[Callable[[], Any], float]:
    """Plain IREE: the module's StableHLO through iree.compiler with IREE's
    defaults for llvm-cpu, run through iree.runtime with numpy arguments.
    (The target CPU is named only to quiet IREE's warning: generic is its
    default.)"""
    import iree.compiler as ireec
    import iree.runtime as ireert

    import webtensor

    text = webtensor.compile_ir(fn, *args, phase="input", isolate=False)
    vmfb, seconds = timed(
        lambda: ireec.compile_str(
            text,
            target_backends=["llvm-cpu"],
            input_type="stablehlo",
            extra_args=["--iree-llvmcpu-target-cpu=generic"],
        )
    )
    module = ireert.load_vm_flatbuffer(vmfb, driver="local-task")
    flat = [np.asarray(a) for a in _leaves(args)]

    def call():
        results = module.main(*flat)
        if isinstance(results, tuple):
            return [r.to_host() for r in results]
        return results.to_host()

    return call, seconds


def _leaves(tree) -> list:
    import jax

    return jax.tree_util.tree_leaves(tree)


def _xla(fn: Callable, args: tuple) -> tuple[Callable[[], Any], float]:
    import jax

    device_args = jax.device_put(args)
    compiled, seconds = timed(lambda: jax.jit(fn).lower(*device_args).compile())
    return (lambda: jax.block_until_ready(compiled(*device_args))), seconds


def _children_peak_rss_mb() -> float:
    # ru_maxrss, in kB on Linux: the largest of the waited-for children.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def measure_real(zoo: ZooModel, seconds: float, iree_flags: tuple[str, ...] = ()) -> ModelResult:
    """A real model, bound (both ways of calling) against jax.jit. Run it in
    a fresh process (measure_isolated): the worker peak it reports is the
    largest child this process has waited for."""
    import webtensor

    fn, params, inputs = zoo.build()
    compile_seconds: dict[str, float] = {}
    bound, compile_seconds["webtensor"] = timed(
        lambda: webtensor.compile(fn, params, *inputs, weights_argnums=0, cache=False, iree_flags=iree_flags)
    )
    worker_peak = _children_peak_rss_mb()
    xla, compile_seconds["xla"] = _xla(fn, (params, *inputs))
    notes = [f"max relative error against jax.jit: {_relative_error(bound(*inputs), xla()):.1e}"]
    resident = [bound.to_device(x) for x in _leaves(inputs)]
    calls = {
        "bound": lambda: bound(*inputs),
        "bound-device": lambda: bound.default.call_flat(resident, keep_on_device=True),
        "xla": xla,
    }
    timings = interleaved(calls, warmup=2, rounds=5, calls_per_round=2, min_seconds=seconds)
    return ModelResult(
        model=zoo.name,
        description=zoo.description,
        timings=timings,
        compile_seconds=compile_seconds,
        cache_hit_seconds=math.nan,
        artifact_bytes=len(bound.artifact.data),
        peak_rss_mb=_peak_rss_mb(),
        notes=notes,
        kind=zoo.kind,
        weight_bytes=sum(np.asarray(leaf).nbytes for leaf in _leaves(params)),
        worker_peak_rss_mb=worker_peak,
    )


def _relative_error(ours, theirs) -> float:
    ours, theirs = _leaves(ours), _leaves(theirs)
    return max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))) / (np.max(np.abs(np.asarray(b))) or 1.0))
        for a, b in zip(ours, theirs, strict=True)
    )


def measure_isolated(name: str, seconds: float, iree_flags: tuple[str, ...] = ()) -> ModelResult:
    """measure_real(BY_NAME[name]) in a new process (spawned: this one may
    have threads), which ends with it."""
    import concurrent.futures
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(_measure_real_by_name, name, seconds, iree_flags).result()


def _measure_real_by_name(name: str, seconds: float, iree_flags: tuple[str, ...]) -> ModelResult:
    return measure_real(BY_NAME[name], seconds, iree_flags)


def measure(zoo: ZooModel, seconds: float, with_iree: bool) -> ModelResult:
    import webtensor

    fn, params, inputs = zoo.build()
    notes: list[str] = []
    calls: dict[str, Callable[[], Any]] = {}
    compile_seconds: dict[str, float] = {}

    bound, compile_seconds["webtensor"] = timed(
        lambda: webtensor.compile(fn, params, *inputs, weights_argnums=0, cache=False)
    )
    resident = [bound.to_device(x) for x in _leaves(inputs)]
    calls["bound"] = lambda: bound(*inputs)
    calls["bound-device"] = lambda: bound.default.call_flat(resident, keep_on_device=True)
    full = webtensor.compile(fn, params, *inputs, cache=False)
    calls["full"] = lambda: full(params, *inputs)
    constants = webtensor.compile(lambda *xs: fn(params, *xs), *inputs, hoist_constants=False, cache=False)
    calls["constants"] = lambda: constants(*inputs)
    with tempfile.TemporaryDirectory(prefix="webtensor-bench-cache-") as cache:
        webtensor.compile(fn, params, *inputs, weights_argnums=0, cache=cache)  # a miss: fills it
        _, cache_hit = timed(lambda: webtensor.compile(fn, params, *inputs, weights_argnums=0, cache=cache))
    plain = webtensor.compile(fn, params, *inputs, weights_argnums=0, sandbox=False, cache=False)
    calls["unsandboxed"] = lambda: plain(*inputs)
    if with_iree:
        try:
            calls["iree"], compile_seconds["iree"] = _plain_iree(fn, (params, *inputs))
        except Exception as e:  # plain IREE failing is a finding to report, not a crash
            notes.append(f"plain IREE failed: {str(e).splitlines()[0][:120]}")
    calls["xla"], compile_seconds["xla"] = _xla(fn, (params, *inputs))
    ort = _onnxruntime(zoo, notes)
    if ort is not None:
        calls["onnxruntime"] = ort

    timings = interleaved(calls, min_seconds=seconds)
    return ModelResult(
        model=zoo.name,
        description=zoo.description,
        timings=timings,
        compile_seconds=compile_seconds,
        cache_hit_seconds=cache_hit,
        artifact_bytes=len(bound.artifact.data),
        peak_rss_mb=_peak_rss_mb(),
        notes=notes,
    )


def _onnxruntime(zoo: ZooModel, notes: list[str]) -> Callable[[], Any] | None:
    try:
        from . import onnx_models
    except ImportError as e:
        notes.append(f"onnxruntime: not installed ({e.name})")
        return None
    return onnx_models.session_call(zoo, notes)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f}"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def latency_table(results: list[ModelResult]) -> str:
    lines = [
        "| model | variant | median ms | p10-p90 ms | vs XLA | vs best peer |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        for variant, t in r.timings.items():
            lines.append(
                f"| {r.model} | {variant} | {_ms(t.median)} | {_ms(t.p10)}-{_ms(t.p90)} | "
                f"{_ratio(r.ratio(variant, 'xla'))} | {_ratio(r.ratio(variant, r.best_peer))} |"
            )
    return "\n".join(lines)


def summary_table(results: list[ModelResult]) -> str:
    lines = [
        "| model | bound vs XLA | full vs XLA | constants vs XLA | bound vs best peer | sandbox cost | plain IREE vs XLA | compile s (WebTensor / XLA) | cache hit ms | artifact MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        cs = r.compile_seconds
        lines.append(
            f"| {r.model} | {_ratio(r.ratio(r.webtensor, 'xla'))} | {_ratio(r.ratio('full', 'xla'))} | "
            f"{_ratio(r.ratio('constants', 'xla'))} | {_ratio(r.ratio(r.webtensor, r.best_peer))} | "
            f"{_ratio(r.ratio('bound', 'unsandboxed'))} | {_ratio(r.ratio('iree', 'xla'))} | "
            f"{cs['webtensor']:.2f} / {cs['xla']:.2f} | "
            f"{r.cache_hit_seconds * 1e3:.1f} | "
            f"{r.artifact_bytes / 1e6:.2f} |"
        )
    ratios = [r.ratio(r.webtensor, r.best_peer) for r in results]
    geomean = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
    lines.append(f"\nGeometric mean, WebTensor (bound weights) vs the best peer: {geomean:.2f}x")
    notes = [f"- {r.model}: {note}" for r in results for note in r.notes]
    if notes:
        lines.append("\n" + "\n".join(dict.fromkeys(notes)))
    return "\n".join(lines)


def real_table(results: list[ModelResult]) -> str:
    """The real models: latency, cold compile and compile memory against XLA
    and the weights."""
    lines = [
        "| model | WebTensor ms | XLA ms | latency vs XLA | compile s (WebTensor / XLA) | compile vs XLA | weights MB | worker peak MB | peak / weights |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        cs = r.compile_seconds
        weights_mb = r.weight_bytes / 2**20
        lines.append(
            f"| {r.model} | {_ms(r.timings[r.webtensor].median)} | {_ms(r.timings['xla'].median)} | "
            f"{_ratio(r.ratio(r.webtensor, 'xla'))} | {cs['webtensor']:.1f} / {cs['xla']:.1f} | "
            f"{_ratio(cs['webtensor'] / cs['xla'])} | {weights_mb:.1f} | {r.worker_peak_rss_mb:.0f} | "
            f"{_ratio(r.worker_peak_rss_mb / weights_mb)} |"
        )
    notes = [f"- {r.model}: {note}" for r in results for note in r.notes]
    if notes:
        lines.append("\n" + "\n".join(notes))
    return "\n".join(lines)


def tables(results: list[ModelResult]) -> str:
    real = [r for r in results if r.kind == "real"]
    synthetic_results = [r for r in results if r.kind != "real"]
    parts = []
    if synthetic_results:
        parts.append(summary_table(synthetic_results))
    if real:
        parts.append(real_table(real))
    parts.append(latency_table(results))
    return "\n\n".join(parts)


def write_outputs(results: list[ModelResult], directory: str) -> list[str]:
    written = []
    path = os.path.join(directory, "results.json")
    with open(path, "w") as f:
        json.dump([dataclasses.asdict(r) for r in results], f, indent=2)
    written.append(path)
    path = os.path.join(directory, "results.md")
    with open(path, "w") as f:
        f.write(tables(results) + "\n")
    written.append(path)
    chart = _chart(results, os.path.join(directory, "results.png"))
    if chart:
        written.append(chart)
    return written


def _chart(results: list[ModelResult], path: str) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    variants = list(dict.fromkeys(v for r in results for v in r.timings))
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(results)), 4))
    width = 0.8 / len(variants)
    for i, variant in enumerate(variants):
        ratios = [r.ratio(variant, "xla") or 0.0 for r in results]
        ax.bar([x + i * width for x in range(len(results))], ratios, width, label=variant)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks([x + width * (len(variants) - 1) / 2 for x in range(len(results))])
    ax.set_xticklabels([r.model for r in results], rotation=30, ha="right")
    ax.set_ylabel("median latency / XLA (lower is better)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="webtensor-bench", description=__doc__.splitlines()[0])
    parser.add_argument("--suite", choices=list(SUITES), default="zoo", help="zoo (the benchmark models, default), differential (the small differential-test models: the sandbox's cost), all (both), or real (third-party architectures; needs the zoo extra)")
    parser.add_argument("--model", action="append", choices=list(BY_NAME), help="only these models (repeatable; any suite)")
    parser.add_argument("--seconds", type=float, default=3.0, help="minimum timing per model, all variants together (default 3)")
    parser.add_argument("--out", default="bench-results", help="directory for results.json, .md, .png (default bench-results)")
    parser.add_argument("--no-iree", action="store_true", help="leave out plain IREE")
    parser.add_argument("--iree-flag", action="append", default=[], help="an extra IREE compiler flag for the real models' WebTensor compile (repeatable): for trying flags")
    args = parser.parse_args(argv)
    try:  # before minutes of timing, not after
        os.makedirs(args.out, exist_ok=True)
    except OSError as e:
        parser.exit(1, f"webtensor-bench: error: cannot write results to {args.out}: {e.strerror}\n")

    results = []
    chosen = [BY_NAME[name] for name in args.model] if args.model else SUITES[args.suite]
    for zoo in chosen:
        print(f"{zoo.name}: {zoo.description}", file=sys.stderr, flush=True)
        if zoo.kind == "real":
            try:
                results.append(measure_isolated(zoo.name, args.seconds, tuple(args.iree_flag)))
            except ImportError as e:
                parser.exit(1, f"webtensor-bench: error: {zoo.name} needs the zoo extra (pip install -e '.[zoo]'): {e}\n")
        else:
            results.append(measure(zoo, args.seconds, not args.no_iree))
    print(tables(results))
    for path in write_outputs(results, args.out):
        print(f"wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
