"""GPU targets: every differential model compiles for Vulkan and CUDA here
(no GPU needed); running them needs a device: Vulkan's is Mesa's software
driver where no GPU is (CI installs it), CUDA's a GPU where one exists."""

import numpy as np
import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.runtime.artifact import Artifact
from webtensor.tests.models import MODELS

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
