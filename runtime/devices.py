"""Devices: which IREE drivers this machine has, and which artifacts each runs.

`devices()` lists what this machine can run on; `choose()` picks one for an
artifact given a power preference:

- The artifact's target fixes the driver family: an artifact runs only on a
  driver of the target it was compiled for (an llvm-cpu artifact on
  local-task or local-sync, a cuda one on cuda, and so on). A target with no
  device here is an UnsupportedOperation.
- Among the devices that can run it, the preference decides. For a CPU
  artifact, "default" and "high-performance" pick local-task (a worker pool
  on every core) and "low-power" picks local-sync (one core: the calling
  thread, no workers). For a GPU artifact every preference picks the first
  device its driver lists: IREE does not report which GPU draws less power.
"""

from __future__ import annotations

import dataclasses
import os
import threading

import iree.runtime as ireert

from .errors import InvalidArgument, NotFound, UnsupportedOperation

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

POWER_PREFERENCES = ("default", "low-power", "high-performance")

# For each preference, drivers from most to least wanted.
_DRIVER_ORDER = {
    "default": ("local-task", "cuda", "hip", "vulkan", "local-sync"),
    "high-performance": ("local-task", "cuda", "hip", "vulkan", "local-sync"),
    "low-power": ("local-sync", "vulkan", "cuda", "hip", "local-task"),
}

_DRIVER_KINDS = {
    "local-task": "CPU, a worker pool on every core",
    "local-sync": "CPU, in the calling thread",
    "vulkan": "GPU (Vulkan)",
    "cuda": "GPU (CUDA)",
    "hip": "GPU (HIP)",
}

_lock = threading.Lock()
_devices: dict[str, ireert.HalDevice] = {}
_failures: dict[str, str] = {}
_probed: list["DeviceInfo"] | None = None


@dataclasses.dataclass(frozen=True)
class DeviceInfo:
    """A device this machine has: its name for `load(device=...)`, its IREE
    driver, the compile targets whose artifacts it runs, and what it is."""

    name: str
    driver: str
    targets: tuple[str, ...]
    description: str


def devices() -> list[DeviceInfo]:
    """The devices this machine has, probed once per process.

    A driver whose library is missing or that finds no device is absent."""
    global _probed
    with _lock:
        if _probed is None:
            _probed = _probe()
        return list(_probed)


def _probe() -> list[DeviceInfo]:
    try:
        available = set(ireert.query_available_drivers())
    except (RuntimeError, ValueError):
        return []
    found = []
    for driver in DRIVER_TARGETS:
        if driver not in available:
            continue
        try:
            listed = ireert.get_driver(driver).query_available_devices()
        except (RuntimeError, ValueError):
            continue  # e.g. the CUDA or Vulkan library is not installed
        for index, info in enumerate(listed):
            path = str(info.get("path", ""))
            name = driver if index == 0 else f"{driver}://{path or index}"
            label = str(info.get("name", ""))
            kind = _DRIVER_KINDS[driver]
            description = kind if label in ("", "default") else f"{kind}: {label}"
            found.append(DeviceInfo(name, driver, (DRIVER_TARGETS[driver],), description))
    return found


def check_power_preference(preference: str) -> str:
    if preference not in POWER_PREFERENCES:
        raise InvalidArgument(
            f"unknown power_preference {preference!r}; valid: {', '.join(POWER_PREFERENCES)}"
        )
    return preference


def choose(target: str, preference: str = "default") -> str:
    """The device to load an artifact for `target` on (see the module doc)."""
    check_power_preference(preference)
    here = devices()
    candidates = [d for d in here if target in d.targets]
    if not candidates:
        names = ", ".join(d.name for d in here) or "none"
        raise UnsupportedOperation(
            f"this artifact was compiled for target '{target}', and no device on this "
            f"machine runs it (devices here: {names}); recompile it with --target=llvm-cpu "
            "to run on the CPU"
        )
    order = _DRIVER_ORDER[preference]
    return min(candidates, key=lambda d: order.index(d.driver)).name


def host_memory_bytes() -> int:
    """Physical memory of this machine (0 where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


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
