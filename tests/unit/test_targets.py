"""GPU targets: every differential model compiles for Vulkan and CUDA here
(no GPU needed); running them needs a device: Vulkan's is Mesa's software
driver where no GPU is (CI installs it), CUDA's a GPU where one exists."""

import numpy as np
import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.runtime.artifact import Artifact
from webtensor.bench.models import MODELS

GPU_DEVICES = {"vulkan-spirv": "vulkan", "cuda": "cuda"}


@pytest.mark.parametrize("target", sorted(GPU_DEVICES))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_gpu_targets_compile(target, name):
    model = MODELS[name]
    data = compile_artifact(import_source(model.fn, model.example_args()), CompileOptions(target=target))
    artifact = Artifact.from_bytes(data)
    assert artifact.target == target
    assert "main" in artifact.signatures


@pytest.mark.parametrize("target", sorted(GPU_DEVICES))
def test_gpu_targets_run_where_a_device_exists(target, need_device):
    device = GPU_DEVICES[target]
    need_device(device)
    model = MODELS["mlp"]
    params, x = model.example_args()
    compiled = webtensor.compile(model.fn, params, x, target=target)
    assert compiled.device == device
    import jax

    np.testing.assert_allclose(compiled(params, x), jax.jit(model.fn)(params, x), rtol=1e-4, atol=1e-4)


def test_a_compile_that_fails_with_the_tuning_flags_is_retried_without_them(monkeypatch):
    from webtensor.compiler import backend

    # A "tuning" flag that breaks every compile: the retry must drop it.
    broken = {webtensor.Target.LLVM_CPU: ("--iree-hal-target-device=no-such-device",)}
    monkeypatch.setattr(backend, "TUNING_FLAGS", broken)
    text = "func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> { return %x : tensor<4xf32> }"
    x = np.arange(4, dtype=np.float32)
    np.testing.assert_array_equal(webtensor.compile(text, isolate=False)(x), x)


def test_the_tuning_flags_are_on_by_default_and_can_be_turned_off():
    from webtensor.compiler import backend

    tuned = backend.target_flags(webtensor.CompileOptions())
    untuned = backend.target_flags(webtensor.CompileOptions(tuning=False))
    assert "--iree-opt-data-tiling" in tuned
    assert "--iree-opt-data-tiling" not in untuned


def _linalg_softmax(rows: int, length: int) -> str:
    t, r = f"tensor<{rows}x{length}xf32>", f"tensor<{rows}xf32>"
    return f"""
func.func @main(%x: {t}) -> {r} {{
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : {r}
  %init = linalg.fill ins(%ninf : f32) outs(%e : {r}) -> {r}
  %m = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i)>],
      iterator_types = ["parallel", "reduction"]}} ins(%x : {t}) outs(%init : {r}) {{
  ^bb0(%in: f32, %acc: f32):
    %0 = arith.maximumf %acc, %in : f32
    linalg.yield %0 : f32
  }} -> {r}
  return %m : {r}
}}
"""


@pytest.mark.parametrize("length, off", [(1500, True), (1024, True), (1023, False), (128, False)])
def test_aggressive_fusion_is_off_for_long_softmax_rows_on_the_cpu(length, off):
    # Measured: Whisper's 1500-long rows ran 3x slower with it, BERT's 128 faster.
    from webtensor.compiler import backend
    from webtensor.compiler.session import CompilerSession

    module = CompilerSession().parse_trusted(_linalg_softmax(6, length), "softmax.mlir")
    flags = backend.op_mix_flags(module, webtensor.CompileOptions())
    assert (backend.NO_AGGRESSIVE_FUSION in flags) == off
    assert backend.op_mix_flags(module, webtensor.CompileOptions(target="vulkan-spirv")) == ()
