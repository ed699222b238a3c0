"""A transformer with over 1 GB of f32 weights: export, package, load, run.

    python -m webtensor.bench.large_model                 # 4 layers, d 2048, vocab 32000: 1.07 GB
    python -m webtensor.bench.large_model --layers 1 --d-model 256 --vocab 1000   # small, to try it

Each stage runs in a fresh process, so that its peak resident memory
(VmHWM) is its own, and the table gives it beside the weights' bytes:

  export       random weights (seeded) in memory, webtensor.export(...).save()
  cold load    webtensor.load(package): check every hash, compile (in the
               worker: its peak is the compile's), map and pack the weights
  cached load  the same in a fresh process, the artifact from the cache
  run          calls after a cached load: the median of five

It also compiles the same architecture with tiny weights (d 64), to show
that compile time and memory follow the program, not the weights. Numbers
are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

GiB = 1 << 30


def transformer(params, tokens):
    """A GPT-style decoder: embeddings, pre-norm causal attention and MLP blocks."""
    import jax
    import jax.numpy as jnp

    x = jnp.take(params["embed"], tokens, axis=0)
    seq, d = x.shape
    heads = max(1, d // 128)
    mask = jnp.tril(jnp.ones((seq, seq), bool))
    for block in params["blocks"]:
        h = _norm(x, block["ln1"])
        q, k, v = jnp.split(h @ block["qkv"], 3, axis=-1)
        q, k, v = (t.reshape(seq, heads, d // heads).transpose(1, 0, 2) for t in (q, k, v))
        logits = jnp.where(mask, q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(d // heads)), np.float32(-1e9))
        x = x + (jax.nn.softmax(logits, axis=-1) @ v).transpose(1, 0, 2).reshape(seq, d) @ block["proj"]
        x = x + jax.nn.gelu(_norm(x, block["ln2"]) @ block["up"]) @ block["down"]
    return _norm(x, params["ln_f"]) @ params["embed"].T


def _norm(x, scale):
    import jax.numpy as jnp

    return x * scale / jnp.sqrt(jnp.mean(x * x, axis=-1, keepdims=True) + 1e-6)


def make_params(layers: int, d: int, vocab: int, seed: int = 0, shapes_only: bool = False) -> dict:
    """Random weights (seeded), or with `shapes_only` their jax.ShapeDtypeStructs."""
    rng = np.random.default_rng(seed)

    def normal(*shape):
        if shapes_only:
            import jax

            return jax.ShapeDtypeStruct(shape, np.float32)
        out = np.empty(shape, np.float32)
        flat = out.reshape(-1)
        for start in range(0, flat.size, 1 << 24):  # in chunks: no float64 copy of a GB
            chunk = flat[start : start + (1 << 24)]
            chunk[...] = rng.standard_normal(chunk.size, np.float32) * 0.02
        return out

    def ones(*shape):
        return normal(*shape) if shapes_only else np.ones(shape, np.float32)

    return {
        "embed": normal(vocab, d),
        "ln_f": ones(d),
        "blocks": [
            {
                "ln1": ones(d),
                "qkv": normal(d, 3 * d),
                "proj": normal(d, d),
                "ln2": ones(d),
                "up": normal(d, 4 * d),
                "down": normal(4 * d, d),
            }
            for _ in range(layers)
        ],
    }


def _tokens(seq: int, vocab: int) -> np.ndarray:
    return (np.arange(seq) * 7919 % vocab).astype(np.int32)


# --- Stages, each in its own process -------------------------------------------------


def stage_export(args) -> dict:
    import webtensor

    start = time.perf_counter()
    params = make_params(args.layers, args.d_model, args.vocab)
    made = time.perf_counter() - start
    start = time.perf_counter()
    webtensor.export(transformer, params, _tokens(args.seq, args.vocab), weights_argnums=0).save(args.package)
    return {"seconds": time.perf_counter() - start, "init_seconds": made}


def stage_load(args) -> dict:
    import webtensor

    peaks = _PeakSampler()
    start = time.perf_counter()
    model = webtensor.load(args.package, cache=args.cache)
    seconds = time.perf_counter() - start
    peaks.stop()
    result = {"seconds": seconds, "weights": model.weights.nbytes, "peak_anon": peaks.anon, "peak_file": peaks.file}
    result["after"] = _rss_parts()
    result["cache_hit_seconds"] = _cache_hit_seconds(args)
    if args.run:
        tokens = _tokens(args.seq, args.vocab)
        model(tokens)  # the first call touches what the load did not
        times = []
        for _ in range(5):
            start = time.perf_counter()
            out = model(tokens)
            times.append(time.perf_counter() - start)
        result["run_seconds"] = sorted(times)[2]
        result["finite"] = bool(np.isfinite(out).all())
    return result


def stage_compile(args) -> dict:
    """A cold compile of the architecture alone (weights as shapes)."""
    import webtensor

    shapes = make_params(args.layers, args.d_model, args.vocab, shapes_only=True)
    start = time.perf_counter()
    webtensor.compile(transformer, shapes, _tokens(args.seq, args.vocab), weights_argnums=0, cache=False)
    return {"seconds": time.perf_counter() - start}


def _cache_hit_seconds(args) -> float:
    """The compile cache's part of a load: the key over the program and the
    options, reading and authenticating the artifact, loading it (median of 5)."""
    from webtensor.compiler.api import load_or_compile
    from webtensor.compiler.artifact_key import open_cache
    from webtensor.compiler.frontends.package import imported_from
    from webtensor.compiler.options import CompileOptions
    from webtensor.runtime.package import Package

    imported, cache, options = imported_from(Package.open(args.package)), open_cache(args.cache), CompileOptions()
    times = []
    for _ in range(5):
        start = time.perf_counter()
        load_or_compile(imported, options, cache)
        times.append(time.perf_counter() - start)
    return sorted(times)[2]


def _rss_parts() -> dict[str, int]:
    """Resident memory now: anonymous (the process's own) and file-backed (mapped files)."""
    parts = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("RssAnon:", "RssFile:")):
                parts[line.split(":")[0][3:].lower()] = int(line.split()[1]) * 1024
    return parts


class _PeakSampler:
    """The highest anonymous and file-backed resident memory seen, sampled
    every 10 ms on a thread (the kernel keeps only the peak of their sum)."""

    def __init__(self):
        import threading

        self.anon = self.file = 0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._done.wait(0.01):
            parts = _rss_parts()
            self.anon, self.file = max(self.anon, parts["anon"]), max(self.file, parts["file"])

    def stop(self):
        self._done.set()
        self._thread.join()


STAGES = {"export": stage_export, "load": stage_load, "compile": stage_compile}


def _child(args) -> int:
    result = STAGES[args.stage](args)
    result["peak_rss"] = _peak_rss()
    result["children_peak_rss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print(json.dumps(result))
    return 0


def _peak_rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def _run_stage(stage: str, args, *extra: str) -> dict:
    command = [
        sys.executable, "-m", "webtensor.bench.large_model", "--stage", stage,
        "--layers", str(args.layers), "--d-model", str(args.d_model), "--vocab", str(args.vocab),
        "--seq", str(args.seq), "--package", args.package, "--cache", args.cache, *extra,
    ]
    print(f"  {stage} {' '.join(extra)}...", file=sys.stderr, flush=True)
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webtensor.bench.large_model", description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--d-model", type=int, default=2048)
    parser.add_argument("--vocab", type=int, default=32000)
    parser.add_argument("--seq", type=int, default=64)
    parser.add_argument("--stage", choices=list(STAGES), help=argparse.SUPPRESS)
    parser.add_argument("--package", help=argparse.SUPPRESS)
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.stage:
        return _child(args)

    with tempfile.TemporaryDirectory(prefix="webtensor-large-") as directory:
        args.package = os.path.join(directory, "model.wtpkg")
        args.cache = os.path.join(directory, "cache")
        exported = _run_stage("export", args)
        cold = _run_stage("load", args)
        cached = _run_stage("load", args, "--run")
        size = os.path.getsize(args.package)
        compile_big = _run_stage("compile", args)
        tiny = argparse.Namespace(**{**vars(args), "d_model": 64})
        compile_tiny = _run_stage("compile", tiny)

    weights = cold["weights"]
    print(f"model: {args.layers} layers, d {args.d_model}, vocab {args.vocab}, {args.seq} tokens; "
          f"weights {weights / GiB:.2f} GiB ({weights:,} bytes); package {size / GiB:.2f} GiB ({size - weights:,} bytes more)")
    print()
    print("| stage | seconds | peak RSS GiB | x weight bytes | compiler worker peak GiB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    rows = [
        ("export (random init, then export and save)", exported["seconds"], exported, False),
        ("cold load (hashes, compile, map, pack)", cold["seconds"], cold, True),
        ("cached load (hashes, map, pack)", cached["seconds"], cached, False),
        ("compile, weights as shapes", compile_big["seconds"], compile_big, True),
        ("compile, the same depth at d 64", compile_tiny["seconds"], compile_tiny, True),
    ]
    for name, seconds, stage, worker in rows:
        worker_peak = f"{stage['children_peak_rss'] / GiB:.2f}" if worker else "-"
        print(f"| {name} | {seconds:.2f} | {stage['peak_rss'] / GiB:.2f} | {stage['peak_rss'] / weights:.2f} | {worker_peak} |")
    print()
    for name, stage in (("cold load", cold), ("cached load", cached)):
        print(
            f"{name}: peak anonymous {stage['peak_anon'] / GiB:.2f} GiB, peak file-backed (the mapped package) "
            f"{stage['peak_file'] / GiB:.2f} GiB; after the load {stage['after']['anon'] / GiB:.2f} GiB anonymous, "
            f"{stage['after']['file'] / GiB:.2f} GiB file-backed"
        )
    print(f"a call after a cached load: {cached['run_seconds'] * 1e3:.1f} ms, median of 5 (outputs finite: {cached['finite']})")
    print(f"the compile cache's part of a load (key, read, authenticate, load the artifact): {cached['cache_hit_seconds'] * 1e3:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
