"""What one call may ask of a device, in the spirit of WebNN's `opSupportLimits()`.

These are the runtime's limits: how large a tensor it moves, how much fuel a
call gets. What a model may contain (ops, element types, ranks) is the
compiler's business and is listed by `webtensor.op_support_limits()`, which
needs the compiler; the runtime never imports it.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .errors import InvalidArgument

# Work units one call may spend, unless the host says otherwise. The
# compiler prices every op with a pessimistic static cost model
# (dialects/cost.py, about a tenth of a nanosecond of CPU time per unit) and
# every loop iteration pays for its body, so this bounds a call's work: about
# ten seconds on a desktop CPU core (bench/budget.py measures it).
DEFAULT_FUEL = 100_000_000_000
MAX_FUEL = 1 << 62

# Where the operating system does not say how much memory there is.
_UNKNOWN_MEMORY_BYTES = 1 << 40


@dataclasses.dataclass(frozen=True)
class DeviceLimits:
    """Attributes:
      device: the device these limits are for.
      max_tensor_bytes: the largest input the runtime copies to the device,
        and the largest result a call may return (larger ones are TooLarge
        before anything is copied or run). IREE does not
        report a device's own memory, so this is the host's physical memory;
        a GPU may hold less.
      default_fuel: work units a call may spend unless it says otherwise.
      max_fuel: the largest budget a call may ask for.
      max_artifact_bytes: the largest artifact `load` reads.
    """

    device: str
    max_tensor_bytes: int
    default_fuel: int
    max_fuel: int
    max_artifact_bytes: int

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def device_limits(device: str = "local-task", fuel: int = DEFAULT_FUEL) -> DeviceLimits:
    """The limits of a call on `device` (NotFound if this machine lacks it)."""
    # Here, not at the top: the compiler reads DEFAULT_FUEL without the
    # runtime's IREE (see runtime/lazy_names.py).
    from . import devices
    from .artifact import MAX_ARTIFACT_BYTES

    devices.get_hal_device(device)
    return DeviceLimits(
        device=device,
        max_tensor_bytes=devices.host_memory_bytes() or _UNKNOWN_MEMORY_BYTES,
        default_fuel=check_fuel(fuel),
        max_fuel=MAX_FUEL,
        max_artifact_bytes=MAX_ARTIFACT_BYTES,
    )


def check_fuel(fuel: int) -> int:
    if isinstance(fuel, bool) or not isinstance(fuel, (int, np.integer)) or not 0 <= fuel <= MAX_FUEL:
        raise InvalidArgument(f"fuel must be an integer from 0 to {MAX_FUEL}, got {fuel!r}")
    return int(fuel)
