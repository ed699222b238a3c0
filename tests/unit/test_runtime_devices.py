"""Devices: what this machine has, which one a model loads on (the power
preference rule), and the limits a call meets there."""

import dataclasses

import numpy as np
import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.runtime import devices
from webtensor.runtime.limits import DEFAULT_FUEL, MAX_FUEL

ADD = """
func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.add %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}
"""

WIDE = """
func.func @main(%a: tensor<32xf32>) -> tensor<32xf32> {
  %0 = stablehlo.negate %a : tensor<32xf32>
  return %0 : tensor<32xf32>
}
"""


@pytest.fixture(scope="module")
def cpu_artifact():
    return webtensor.compile(ADD).artifact.data


@pytest.fixture
def fresh_probe(monkeypatch):
    """Forget the cached probe for one test (and restore it after)."""
    monkeypatch.setattr(devices, "_probed", None)


def test_the_cpu_devices_are_listed():
    found = {d.name: d for d in webtensor.devices()}
    assert found["local-task"] == webtensor.DeviceInfo(
        "local-task", "local-task", ("llvm-cpu",), "CPU, a worker pool on every core"
    )
    assert found["local-sync"] == webtensor.DeviceInfo(
        "local-sync", "local-sync", ("llvm-cpu",), "CPU, in the calling thread"
    )
    for info in found.values():
        assert info.targets == (devices.DRIVER_TARGETS[info.driver],)


def test_every_listed_device_loads_what_it_accepts(cpu_artifact):
    for info in webtensor.devices():
        if "llvm-cpu" in info.targets:
            model = webtensor.load(cpu_artifact, device=info.name)
            assert model.device == info.name
            assert model(np.ones(4, np.float32), np.ones(4, np.float32)).tolist() == [2.0] * 4


def test_the_vulkan_device_is_listed_and_runs_its_artifacts(need_device):
    need_device("vulkan")
    info = next(d for d in webtensor.devices() if d.driver == "vulkan")
    assert info.targets == ("vulkan-spirv",)
    assert info.description.startswith("GPU (Vulkan): ")  # and the driver's own name
    data = compile_artifact(import_source(ADD, ()), CompileOptions(target="vulkan-spirv"))
    model = webtensor.load(data, device=info.name)
    assert model.device == info.name
    assert model(np.ones(4, np.float32), np.full(4, 2, np.float32)).tolist() == [3.0] * 4
    assert webtensor.device_limits(info.name).device == info.name


def test_the_probe_runs_once(monkeypatch):
    first = webtensor.devices()

    def fail(*args):
        raise AssertionError("probed again")

    monkeypatch.setattr(devices.ireert, "get_driver", fail)
    assert webtensor.devices() == first


def test_a_driver_that_fails_to_probe_is_absent(monkeypatch, fresh_probe):
    real = devices.ireert.get_driver

    def get_driver(name):
        if name == "local-sync":
            raise RuntimeError("Error creating driver: UNAVAILABLE")
        return real(name)

    monkeypatch.setattr(devices.ireert, "get_driver", get_driver)
    names = [d.name for d in webtensor.devices()]
    assert "local-task" in names and "local-sync" not in names


def test_no_drivers_at_all(monkeypatch, fresh_probe, cpu_artifact):
    def broken():
        raise RuntimeError("no HAL")

    monkeypatch.setattr(devices.ireert, "query_available_drivers", broken)
    assert webtensor.devices() == []
    with pytest.raises(webtensor.UnsupportedOperation) as info:
        webtensor.load(cpu_artifact)
    assert str(info.value) == (
        "this artifact was compiled for target 'llvm-cpu', and no device on this machine runs it "
        "(devices here: none); recompile it with --target=llvm-cpu to run on the CPU"
    )


@pytest.mark.parametrize(
    "preference, device",
    [("default", "local-task"), ("high-performance", "local-task"), ("low-power", "local-sync")],
)
def test_power_preference_for_a_cpu_artifact(cpu_artifact, preference, device):
    model = webtensor.load(cpu_artifact, power_preference=preference)
    assert model.device == device and model.power_preference == preference
    assert model(np.ones(4, np.float32), np.full(4, 2, np.float32)).tolist() == [3.0] * 4


def test_a_named_device_wins_over_the_preference(cpu_artifact):
    model = webtensor.load(cpu_artifact, device="local-sync", power_preference="high-performance")
    assert model.device == "local-sync"


@pytest.mark.parametrize("preference", ["fast", "", None, "LOW-POWER"])
def test_unknown_power_preference(cpu_artifact, preference):
    with pytest.raises(webtensor.InvalidArgument) as info:
        webtensor.load(cpu_artifact, power_preference=preference)
    assert str(info.value) == (
        f"unknown power_preference {preference!r}; valid: default, low-power, high-performance"
    )


@pytest.mark.parametrize("target, driver", [("cuda", "cuda"), ("vulkan-spirv", "vulkan")])
def test_a_gpu_artifact_goes_to_its_gpu_or_is_refused(target, driver):
    data = compile_artifact(import_source(ADD, ()), CompileOptions(target=target))
    here = [d.name for d in webtensor.devices()]
    gpus = [d.name for d in webtensor.devices() if d.driver == driver]
    for preference in devices.POWER_PREFERENCES:
        if gpus:
            assert webtensor.load(data, power_preference=preference).device == gpus[0]
            continue
        with pytest.raises(webtensor.UnsupportedOperation) as info:
            webtensor.load(data, power_preference=preference)
        assert str(info.value) == (
            f"this artifact was compiled for target '{target}', and no device on this machine runs it "
            f"(devices here: {', '.join(here)}); recompile it with --target=llvm-cpu to run on the CPU"
        )


def test_a_cpu_artifact_on_a_gpu_device_is_refused(cpu_artifact):
    with pytest.raises(webtensor.UnsupportedOperation, match="compiled for target 'llvm-cpu' and cannot run on device 'cuda'"):
        webtensor.load(cpu_artifact, device="cuda")


def test_an_unknown_device_is_not_found(cpu_artifact):
    with pytest.raises(webtensor.NotFound, match="unknown device 'tpu'; valid drivers: local-task, local-sync"):
        webtensor.load(cpu_artifact, device="tpu")


def test_device_limits():
    limits = webtensor.device_limits("local-sync")
    assert limits == webtensor.DeviceLimits(
        device="local-sync",
        max_tensor_bytes=devices.host_memory_bytes(),
        default_fuel=DEFAULT_FUEL,
        max_fuel=MAX_FUEL,
        max_artifact_bytes=1 << 34,
    )
    assert limits.max_tensor_bytes > 1 << 20
    assert limits.to_dict()["device"] == "local-sync"
    assert webtensor.device_limits().device == "local-task"


def test_model_limits_follow_the_model(cpu_artifact):
    model = webtensor.load(cpu_artifact, fuel=123)
    assert model.limits == dataclasses.replace(webtensor.device_limits("local-task"), default_fuel=123)
    model.fuel = 7
    assert model.limits.default_fuel == 7


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: webtensor.device_limits("tpu"), webtensor.NotFound, "unknown device 'tpu'"),
        (lambda: webtensor.device_limits("cuda://99"), webtensor.NotFound, "device 'cuda://99' is not available on this machine"),
        (lambda: webtensor.device_limits("local-task", fuel=-1), webtensor.InvalidArgument, "fuel must be an integer from 0 to"),
    ],
)
def test_device_limits_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_inputs_above_the_tensor_limit_are_too_large(monkeypatch):
    monkeypatch.setattr(devices, "host_memory_bytes", lambda: 100)
    model = webtensor.compile(WIDE)
    assert model.limits.max_tensor_bytes == 100
    big = np.ones(32, np.float32)  # 128 bytes
    message = "argument arg0: 128 bytes is above the largest tensor local-task takes (100 bytes; see model.limits)"
    for value in (big, big.tolist(), np.ones(64, np.float32)[::2]):
        with pytest.raises(webtensor.TooLarge) as info:
            model(value)
        assert str(info.value) == message
    ctx = webtensor.load_graph(model.artifact.data).init_execution_context()
    with pytest.raises(webtensor.TooLarge, match="128 bytes is above"):
        ctx.set_input(0, big)
