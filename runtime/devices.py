"""Devices: which IREE drivers this machine has, and which artifacts each runs."""

from __future__ import annotations

import threading

import iree.runtime as ireert

from .errors import NotFound, UnsupportedOperation

# The compile target each driver executes. An artifact compiled for one target
# cannot run on a driver of another.
DRIVER_TARGETS = {
    "local-task": "llvm-cpu",
    "local-sync": "llvm-cpu",
    "vulkan": "vulkan-spirv",
    "cuda": "cuda",
    "hip": "rocm",
}

DEFAULT_DRIVER = {
    "llvm-cpu": "local-task",
    "vulkan-spirv": "vulkan",
    "cuda": "cuda",
}

_lock = threading.Lock()
_devices: dict[str, ireert.HalDevice] = {}
_failures: dict[str, str] = {}


def driver_name(device: str) -> str:
    """`cuda://0` -> `cuda`."""
    return device.split("://", 1)[0].split(":", 1)[0]


def check_name(device: str) -> None:
    if driver_name(device) not in DRIVER_TARGETS:
        raise NotFound(f"unknown device '{device}'; valid drivers: {', '.join(DRIVER_TARGETS)}")


def get_hal_device(device: str) -> ireert.HalDevice:
    """The (cached) HAL device for a name such as `local-task` or `cuda://0`."""
    check_name(device)
    with _lock:
        if device in _devices:
            return _devices[device]
        if device in _failures:
            raise NotFound(_failures[device])
        try:
            hal_device = ireert.get_device(device, cache=False)
        except (RuntimeError, ValueError) as e:
            reason = str(e).splitlines()[0]
            _failures[device] = f"device '{device}' is not available on this machine: {reason}"
            raise NotFound(_failures[device]) from None
        _devices[device] = hal_device
        return hal_device


def check_target(device: str, target: str) -> None:
    """Raises unless artifacts for `target` run on `device`."""
    runs = DRIVER_TARGETS.get(driver_name(device))
    if runs != target:
        raise UnsupportedOperation(
            f"this artifact was compiled for target '{target}' and cannot run on "
            f"device '{device}' (which runs '{runs}' artifacts); recompile with "
            f"--target={runs} or load it on a {DEFAULT_DRIVER.get(target, target)} device"
        )
