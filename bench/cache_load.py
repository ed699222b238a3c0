"""What the compile cache saves: a model's cold compile against a cache hit,
and where a hit's time goes.

    python -m webtensor.bench.cache_load [--model encoder_block] [--cold-runs 3]

A cold compile is a miss in an empty cache: export (for a JAX function), the
compiler worker, loading the artifact and storing it. A hit computes the
key, reads and authenticates the entry, and loads the artifact; for a JAX
function, `jax.export` still runs first, since the key is over what it
exports.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from .timing import Timing, interleaved, timed

TARGET_HIT_SECONDS = 0.020


def measure(model_name: str = "encoder_block", cold_runs: int = 3, min_seconds: float = 2.0) -> tuple[dict[str, Timing], int]:
    import webtensor
    from webtensor.compiler.api import import_source
    from webtensor.compiler.artifact_key import cache_key
    from webtensor.compiler.frontends.jax_function import portable_artifact
    from webtensor.compiler.options import CompileOptions
    from webtensor.runtime.artifact import Artifact
    from webtensor.runtime.artifact_cache import ArtifactCache
    from webtensor.runtime.model import Model

    from .models import MODELS

    test_model = MODELS[model_name]
    fn, args = test_model.fn, test_model.example_args(0)
    blob = portable_artifact(fn, args)
    root = Path(tempfile.mkdtemp(prefix="webtensor-cache-bench-"))
    try:
        cold_jax, cold_portable = [], []
        for run in range(cold_runs):
            cold_jax.append(timed(lambda: webtensor.compile(fn, *args, cache=root / f"jax-{run}"))[1])
            cold_portable.append(timed(lambda: webtensor.compile(blob, cache=root / f"portable-{run}"))[1])
        cache = ArtifactCache(root / "warm")
        webtensor.compile(fn, *args, cache=cache)
        webtensor.compile(blob, cache=cache)
        imported = import_source(blob)
        key = cache_key(imported, CompileOptions())
        data = cache.get(key)
        artifact = Artifact.from_bytes(data)
        hits = interleaved(
            {
                "hit: compile(JAX function)": lambda: webtensor.compile(fn, *args, cache=cache),
                "hit: compile(portable bytes)": lambda: webtensor.compile(blob, cache=cache),
                "  import the bytes": lambda: import_source(blob),
                "  key (SHA-256 of the record)": lambda: cache_key(imported, CompileOptions()),
                "  cache.get (read, HMAC)": lambda: cache.get(key),
                "  Artifact.from_bytes": lambda: Artifact.from_bytes(data),
                "  Model(artifact) on the CPU": lambda: Model(artifact),
                "webtensor.load(bytes), no cache": lambda: webtensor.load(data),
            },
            warmup=2,
            rounds=5,
            calls_per_round=3,
            min_seconds=min_seconds,
        )
        rows = {
            "cold: compile(JAX function)": Timing.of(cold_jax),
            "cold: compile(portable bytes)": Timing.of(cold_portable),
            **hits,
        }
        return rows, len(data)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def format_table(model_name: str, rows: dict[str, Timing], artifact_bytes: int) -> str:
    lines = [
        f"{model_name} (bench/models.py), llvm-cpu, artifact {artifact_bytes / 1024:.1f} KiB",
        f"{'':34} {'median':>10} {'p10':>10} {'p90':>10} {'runs':>6}",
    ]
    for name, timing in rows.items():
        lines.append(
            f"{name:34} {_ms(timing.median):>10} {_ms(timing.p10):>10} {_ms(timing.p90):>10} {timing.calls:>6}"
        )
    hit = rows["hit: compile(portable bytes)"].median
    cold = rows["cold: compile(portable bytes)"].median
    verdict = "meets" if hit < TARGET_HIT_SECONDS else "misses"
    lines.append(
        f"a hit is {cold / hit:.0f}x faster than a cold compile; "
        f"{verdict} the {TARGET_HIT_SECONDS * 1000:.0f} ms target for a hit"
    )
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m webtensor.bench.cache_load", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="encoder_block", help="a model of bench/models.py (default encoder_block)")
    parser.add_argument("--cold-runs", type=int, default=3, help="cold compiles of each kind (default 3)")
    args = parser.parse_args(argv)
    rows, artifact_bytes = measure(args.model, args.cold_runs)
    print(format_table(args.model, rows, artifact_bytes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
