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
"""

from __future__ import annotations

import math

import iree.runtime as ireert
import numpy as np

from . import dtypes


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
        return np.array(view.map().asarray(shape, dtype), copy=True)
    return _download(device, buffer, shape, dtype)


def _mappable(buffer: ireert.HalBuffer) -> bool:
    return bool(buffer.memory_type() & _HOST_VISIBLE and buffer.allowed_usage() & _MAPPING_SCOPED)


_HOST_VISIBLE = int(ireert.MemoryType.HOST_VISIBLE)
_MAPPING_SCOPED = int(ireert.BufferUsage.MAPPING_SCOPED)


def _download(device, source, shape, dtype) -> np.ndarray:
    allocator = device.allocator
    staging = allocator.allocate_buffer(
        memory_type=int(ireert.MemoryType.HOST_LOCAL | ireert.MemoryType.DEVICE_VISIBLE),
        allowed_usage=int(ireert.BufferUsage.TRANSFER_TARGET | ireert.BufferUsage.MAPPING_SCOPED),
        allocation_size=source.byte_length(),
    )
    semaphore = device.create_semaphore(0)
    device.queue_copy(
        source,
        staging,
        wait_semaphores=ireert.HalFence.create_at(semaphore, 0),
        signal_semaphores=ireert.HalFence.create_at(semaphore, 1),
    )
    ireert.HalFence.create_at(semaphore, 1).wait()
    return np.array(staging.map().asarray(shape, dtype), copy=True)


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
