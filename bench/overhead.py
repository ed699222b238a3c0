"""Per-call overhead: one tiny model (the sum of two 4-element f32 vectors)
called through WebTensor, through IREE's own Python API on the same .vmfb,
and through jax.jit, in turns; median microseconds per call.

    python -m webtensor.bench.overhead

The model does almost no work, so the times are what each layer costs around
a call: checking and copying inputs, the VM invocation, copying results out.
(IREE's `to_host()` maps the result buffer; WebTensor copies it into an array
the caller owns.) local-sync runs the call in the calling thread, so its
times are steady; local-task wakes a worker pool, whose latency swings with
whatever else the machine runs.
"""

from __future__ import annotations

import sys

import numpy as np

from .timing import Timing, interleaved

ADD = """
func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.add %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}
"""


def variants(devices: tuple[str, ...] = ("local-sync", "local-task")) -> dict[str, object]:
    """name -> a call that returns host results (or device tensors, where named)."""
    import iree.runtime as ireert
    import jax
    import jax.numpy as jnp

    import webtensor

    data = webtensor.compile(ADD).artifact.data
    a, b = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)
    jitted = jax.jit(jnp.add)
    calls = {}
    for device in devices:
        model = webtensor.load(data, device=device)
        bare = ireert.load_vm_flatbuffer(data, driver=device).main
        calls[f"webtensor `model(a, b)`, {device}"] = lambda model=model: model(a, b)
        calls[f"iree.runtime `main(a, b).to_host()`, {device}"] = lambda bare=bare: bare(a, b).to_host()
    calls["iree.runtime `VmContext.invoke` alone (arguments uploaded once), local-sync"] = _invoke_only(data, a, b)
    model = webtensor.load(data, device="local-sync")
    on_a, on_b = model(a, a, keep_on_device=True), model(b, b, keep_on_device=True)
    calls["webtensor, DeviceTensors in and out, local-sync"] = lambda: model(on_a, on_b, keep_on_device=True)
    calls["webtensor `model(a, b, deadline=1.0)`, local-sync"] = lambda: model(a, b, deadline=1.0)
    calls["jax.jit, `block_until_ready()`, CPU"] = lambda: jitted(a, b).block_until_ready()
    return calls


def _invoke_only(data: bytes, a: np.ndarray, b: np.ndarray):
    """The floor: one VM invocation on buffers uploaded beforehand."""
    import iree.runtime as ireert

    device = ireert.get_device("local-sync")
    instance = ireert.VmInstance()
    module = ireert.VmModule.copy_buffer(instance, data)
    context = ireert.VmContext(instance, [ireert.create_hal_module(instance, device), module])
    function = module.lookup_function("main")
    arguments = ireert.VmVariantList(2)
    for array in (a, b):
        view = device.allocator.allocate_buffer_copy(
            ireert.MemoryType.DEVICE_LOCAL, ireert.BufferUsage.DEFAULT, device, array, ireert.HalElementType.FLOAT_32
        )
        arguments.push_ref(view.ref)

    def call():
        results = ireert.VmVariantList(1)
        context.invoke(function, arguments, results)
        return results

    return call


def measure(min_seconds: float = 5.0, devices: tuple[str, ...] = ("local-sync", "local-task")) -> dict[str, Timing]:
    return interleaved(variants(devices), warmup=200, rounds=200, calls_per_round=20, min_seconds=min_seconds)


def table(timings: dict[str, Timing]) -> str:
    lines = [
        "| call | median (us) | p10-p90 (us) | calls |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, t in timings.items():
        lines.append(f"| {name} | {t.median * 1e6:.1f} | {t.p10 * 1e6:.1f}-{t.p90 * 1e6:.1f} | {t.calls} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m webtensor.bench.overhead", description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="minimum timing (default 5)")
    parser.add_argument(
        "--device", action="append", choices=["local-sync", "local-task"],
        help="compare WebTensor and IREE on these devices (default both; local-task's worker pool slows every other row)",
    )
    args = parser.parse_args(argv)
    print(table(measure(args.seconds, tuple(args.device or ("local-sync", "local-task")))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
