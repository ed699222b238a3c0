"""Tensors that stay on a device between calls.

A call with `keep_on_device=True` returns DeviceTensors instead of numpy
arrays: the results stay where the model computed them, and passing them to
the next call (of the same model or another on the same device) moves no
data through the host.

A DeviceTensor is immutable. `.numpy()` gives a copy, never a view. When one
is passed as an input, the callee gets a fresh copy of it, made by the
device's queue, so no call can write into it, whatever the artifact does
with its inputs. (On the CPU a copy by mapping and memcpy was measured too:
no faster than the queue's, so there is one path for every device.)

A call's results (`results_to_host`) reach the caller without a second copy
where that is safe: a large result in memory the host can map (a CPU
device's) is handed over, its array a view of IREE's buffer that keeps the
buffer, and the buffer's device, alive (`_handed_over`). Memory the host
cannot map is downloaded into a staging buffer and copied out (IREE 3.13's
Vulkan allocator cannot hand its buffers over). IREE 3.13 gives every call
fresh result buffers (a returned constant, weight or input is a copy), so
the array is the caller's alone; where two results share bytes (a value
returned twice) the second is copied. One result can keep its call's other
results alive (IREE places them in one allocation), so only results that
hold at least half of the call's result bytes are handed over, and the
memory held is at most twice what the caller keeps. Others are copied.

Memory. A call's results must fit in the host before the call runs
(`check_results_fit`: TooLarge otherwise), and running out of memory while
copying them out is TooLarge too, never numpy's MemoryError.
"""

from __future__ import annotations

import math

import iree.runtime as ireert
import numpy as np

from . import dtypes
from .errors import TooLarge


class DeviceTensor:
    """An array held in a device's memory.

    Attributes: `shape` (a tuple), `dtype` (a numpy dtype), `device` (the
    name of the device it lives on), `nbytes`."""

    __slots__ = ("_view", "_hal_device", "shape", "dtype", "device")

    def __init__(self, view: ireert.HalBufferView, dtype: np.dtype, device: str, hal_device: ireert.HalDevice):
        self._view = view
        self._hal_device = hal_device
        self.shape = tuple(view.shape)
        self.dtype = np.dtype(dtype)
        self.device = device

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def numpy(self) -> np.ndarray:
        """A caller-owned copy on the host."""
        return to_host(self._hal_device, self._view, self.dtype)

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype, copy=False)

    def __repr__(self) -> str:
        dims = ",".join(map(str, self.shape))
        name = dtypes.by_dtype(self.dtype).name
        return f"<webtensor.DeviceTensor {name}[{dims}] on {self.device}>"


def to_host(device: ireert.HalDevice, view: ireert.HalBufferView, dtype: np.dtype) -> np.ndarray:
    """A caller-owned copy of a device buffer."""
    shape = tuple(view.shape)
    buffer = view.get_buffer()
    if _mappable(buffer):
        return _copy(view.map().asarray(shape, dtype))
    return _download(device, buffer, shape, dtype)


# Results smaller than this are copied: the copy costs little, and a small
# array then never keeps a large allocation alive.
HAND_OVER_MIN_BYTES = 1 << 20


def results_to_host(device: ireert.HalDevice, views: list[ireert.HalBufferView], dtypes_: list[np.dtype]) -> list[np.ndarray]:
    """Arrays the caller owns for one call's results, handing IREE's buffers
    over where the module doc says it is safe, copying the others."""
    sizes = [math.prod(view.shape) * np.dtype(dtype).itemsize for view, dtype in zip(views, dtypes_)]
    total = sum(sizes)
    arrays: list[np.ndarray] = []
    handed: list[tuple[int, int]] = []  # address ranges handed over
    for view, dtype, size in zip(views, dtypes_, sizes):
        shape = tuple(view.shape)
        buffer = view.get_buffer()
        if not _mappable(buffer):
            arrays.append(_download(device, buffer, shape, dtype))
            continue
        if size < HAND_OVER_MIN_BYTES or 2 * size < total:
            arrays.append(_copy(view.map().asarray(shape, dtype)))  # the mapping goes at once
            continue
        array = _handed_over(device, buffer, shape, dtype)
        start = array.__array_interface__["data"][0]
        if any(start < end and begin < start + size for begin, end in handed):
            arrays.append(_copy(array))
        else:
            handed.append((start, start + size))
            arrays.append(array)
    return arrays


def _copy(array: np.ndarray) -> np.ndarray:
    try:
        return np.array(array, copy=True)
    except MemoryError:
        raise TooLarge(
            f"the host ran out of memory copying a result of {array.nbytes} bytes; "
            "lower the limits (max_live_bytes, max_tensor_elements) or free memory"
        ) from None


def check_results_fit(outputs, input_shapes, max_tensor_bytes: int, function: str) -> None:
    """TooLarge, before anything runs, when the results of a call with these
    inputs cannot fit in the host: one above `max_tensor_bytes` (the host's
    physical memory), or all of them together, with the copies that
    `results_to_host` may make, above the memory the host has free now.
    Dynamic dims count at their bound, or at the largest input dim (every
    dynamic dim inside a module equals an input dim)."""
    largest_input_dim = max((d for shape in input_shapes for d in shape), default=0)
    sizes = []
    for spec in outputs:
        bounds = spec.bounds or (None,) * len(spec.shape)
        dims = [d if d is not None else (b if b is not None else largest_input_dim) for d, b in zip(spec.shape, bounds)]
        nbytes = math.prod(dims) * spec.element_type.dtype.itemsize
        if nbytes > max_tensor_bytes:
            raise TooLarge(
                f"{function}: result {spec.name} would take {nbytes} bytes, above the largest tensor this "
                f"host holds ({max_tensor_bytes} bytes; see model.limits); nothing ran"
            )
        sizes.append(nbytes)
    total = sum(sizes)
    if total < _CHECK_FREE_MEMORY_BYTES:
        return
    # At most one result is surely handed over (a value returned twice is
    # copied the second time); count every other one as copied.
    handed = next((size for size in sizes if size >= HAND_OVER_MIN_BYTES and 2 * size >= total), 0)
    needed = 2 * total - handed
    free = available_memory_bytes()
    if free is not None and needed > free:
        raise TooLarge(
            f"{function}: its results need {needed} bytes of host memory and {free} are free; nothing ran"
        )


# Calls whose results are smaller than this skip the free-memory check.
_CHECK_FREE_MEMORY_BYTES = 64 << 20


def available_memory_bytes() -> int | None:
    """Memory the host can give without swapping (Linux's MemAvailable), or None."""
    try:
        with open("/proc/meminfo", "rb") as meminfo:
            for line in meminfo:
                if line.startswith(b"MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _mappable(buffer: ireert.HalBuffer) -> bool:
    return bool(buffer.memory_type() & _HOST_VISIBLE and buffer.allowed_usage() & _MAPPING_SCOPED)


_HOST_VISIBLE = int(ireert.MemoryType.HOST_VISIBLE)
_MAPPING_SCOPED = int(ireert.BufferUsage.MAPPING_SCOPED)


def _download(device, source, shape, dtype) -> np.ndarray:
    """The buffer's contents, through a staging buffer the host can map."""
    allocator = device.allocator
    try:
        staging = allocator.allocate_buffer(
            memory_type=int(ireert.MemoryType.HOST_LOCAL | ireert.MemoryType.DEVICE_VISIBLE),
            allowed_usage=int(ireert.BufferUsage.TRANSFER_TARGET | ireert.BufferUsage.MAPPING_SCOPED),
            allocation_size=source.byte_length(),
        )
    except RuntimeError as e:
        if "RESOURCE_EXHAUSTED" not in str(e):
            raise
        raise TooLarge(f"the host ran out of memory for a result of {source.byte_length()} bytes") from None
    semaphore = device.create_semaphore(0)
    device.queue_copy(
        source,
        staging,
        wait_semaphores=ireert.HalFence.create_at(semaphore, 0),
        signal_semaphores=ireert.HalFence.create_at(semaphore, 1),
    )
    ireert.HalFence.create_at(semaphore, 1).wait()
    # Copied out: IREE 3.13's Vulkan allocator cannot hand its buffers over.
    return _copied_bytes(staging, shape, dtype)


def _handed_over(device: ireert.HalDevice, buffer: ireert.HalBuffer, shape, dtype) -> np.ndarray:
    """An array that owns `buffer` (host-visible memory) through DLPack.

    Not IREE's MappedMemory.asarray: its array releases the mapping through
    a Python-level callback, and at interpreter exit, when that runs after
    IREE's Python module is torn down, it jumps through freed memory (seen
    as a segfault at exit whenever jax was imported and a result outlived
    its model). A DLPack capsule's deleter is IREE's C code and needs no
    Python module. The bytes are shared as uint8 and reinterpreted, since
    numpy takes no bfloat16 from DLPack."""
    itemsize = np.dtype(dtype).itemsize
    view = ireert.HalBufferView(buffer, [*shape, itemsize], _UINT_8)
    try:
        capsule = device.create_dlpack_capsule(view, _DLPACK_CPU, 0)
    except NotImplementedError:  # IREE 3.13's Vulkan allocator exports no buffers
        return _copied_bytes(buffer, shape, dtype)
    owner = _Lease(np.from_dlpack(_Capsule(capsule)), device)
    return np.asarray(owner).view(dtype).reshape(shape)


def _copied_bytes(buffer: ireert.HalBuffer, shape, dtype) -> np.ndarray:
    """A caller-owned copy of a mappable buffer, read as bytes (IREE's
    asarray takes no bfloat16)."""
    nbytes = math.prod(shape) * np.dtype(dtype).itemsize
    return _copy(buffer.map().asarray((nbytes,), np.dtype(np.uint8))).view(dtype).reshape(shape)


_DLPACK_CPU = 1
_UINT_8 = int(ireert.HalElementType.UINT_8)


class _Lease:
    """The base of a handed-over array: the DLPack array, then the device.
    An IREE buffer does not keep its device alive, and the runtime's device
    cache is a module global, cleared at interpreter exit perhaps before
    the last result; the lease keeps the device until the buffer is gone
    (slots are released in order)."""

    __slots__ = ("__array_interface__", "_array", "_device")

    def __init__(self, array: np.ndarray, device: ireert.HalDevice):
        # Writable: numpy marks DLPack imports read-only, but the buffer is
        # the caller's alone (see the module doc).
        interface = dict(array.__array_interface__)
        interface["data"] = (interface["data"][0], False)
        self.__array_interface__ = interface
        self._array = array
        self._device = device


class _Capsule:
    """What np.from_dlpack takes: an object with __dlpack__ and __dlpack_device__."""

    __slots__ = ("_capsule",)

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, stream=None, **_):
        return self._capsule

    def __dlpack_device__(self):
        return (_DLPACK_CPU, 0)


def upload(device: ireert.HalDevice, array: np.ndarray, element_type: ireert.HalElementType) -> ireert.HalBufferView:
    """A fresh device buffer holding a copy of a C-contiguous array."""
    return device.allocator.allocate_buffer_copy(_DEVICE_LOCAL, _DEFAULT_USAGE, device, array, element_type)


_DEVICE_LOCAL = ireert.MemoryType.DEVICE_LOCAL
_DEFAULT_USAGE = ireert.BufferUsage.DEFAULT


def copy_on_device(device: ireert.HalDevice, tensors: list[DeviceTensor], element_types) -> list[ireert.HalBufferView]:
    """Fresh device buffers holding copies of `tensors`, made by the
    device's queue (no host round trip); returns when every copy is done.
    Memory the host can map (a CPU device's) is copied by the host instead:
    a queue copy there costs a submission and a wait on the task system,
    which on local-task added milliseconds of jitter to every call."""
    semaphore = device.create_semaphore(0)
    step = 0
    views = []
    for tensor, element_type in zip(tensors, element_types):
        source = tensor._view.get_buffer()
        size = source.byte_length()
        if size and _mappable(source):
            mapped = tensor._view.map()
            views.append(upload(device, mapped.asarray(tensor.shape, tensor.dtype), element_type))
            continue
        target = device.allocator.allocate_buffer(
            memory_type=_DEVICE_LOCAL, allowed_usage=_DEFAULT_USAGE, allocation_size=max(size, 1)
        )
        if size:
            device.queue_copy(
                source,
                target,
                wait_semaphores=ireert.HalFence.create_at(semaphore, step),
                signal_semaphores=ireert.HalFence.create_at(semaphore, step + 1),
            )
            step += 1
        views.append(ireert.HalBufferView(target, tensor.shape, element_type))
    if step:
        ireert.HalFence.create_at(semaphore, step).wait()
    return views
