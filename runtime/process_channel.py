"""The transport between a model's process and its children
(runtime/call_process.py the parent's side, runtime/process_child.py the
child's): messages, JSON objects each after its length, over a stream
socket; tensors in shared-memory files that one side writes and the other
maps. Neither side trusts what the other sends: a message is JSON, never
pickle, and of bounded size, and a tensor's range is checked against the
file before it is read.
"""

from __future__ import annotations

import json
import math
import mmap
import os
import socket
import struct
import time

import numpy as np

# The largest message either side reads: a reply is small (results travel
# through shared memory), an error message is cut to ERROR_CHARS.
MAX_MESSAGE_BYTES = 1 << 24
ERROR_CHARS = 4000
# Tensors start on this boundary in the shared files.
ALIGN = 64
_HEADER = struct.Struct("<Q")


class TimedOut(Exception):
    """No message came before the deadline."""


class Died(Exception):
    """The other side closed, or sent what is not a message."""


class Channel:
    """Messages (JSON objects) over a stream socket, each after its length."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.sock.settimeout(None)
        self._buffer = bytearray()

    def send(self, message: dict) -> None:
        data = json.dumps(message).encode()
        try:
            self.sock.sendall(_HEADER.pack(len(data)) + data)
        except OSError:
            raise Died() from None

    def receive(self, expires: float | None = None) -> dict:
        """The next message; TimedOut past `expires` (time.monotonic()),
        Died when the other side has closed."""
        header = self._read(_HEADER.size, expires)
        (length,) = _HEADER.unpack(header)
        if length > MAX_MESSAGE_BYTES:
            raise Died()
        try:
            message = json.loads(bytes(self._read(length, expires)))
        except ValueError:
            raise Died() from None
        if not isinstance(message, dict):
            raise Died()
        return message

    def _read(self, count: int, expires: float | None) -> bytes:
        while len(self._buffer) < count:
            if expires is not None:
                remaining = expires - time.monotonic()
                if remaining <= 0:
                    raise TimedOut()
                self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(max(1 << 16, count - len(self._buffer)))
            except socket.timeout:
                raise TimedOut() from None
            except OSError:
                raise Died() from None
            finally:
                if expires is not None:
                    self.sock.settimeout(None)
            if not chunk:
                raise Died()
            self._buffer += chunk
        data = bytes(self._buffer[:count])
        del self._buffer[:count]
        return data

    def close(self) -> None:
        self.sock.close()


class Arena:
    """A shared-memory file that one side writes tensors into and the other
    reads them from, mapped whole; it grows to the largest call."""

    def __init__(self, fd: int, writer: bool):
        self.fd = fd
        self.writer = writer
        self.size = 0
        self.map: mmap.mmap | None = None

    def write(self, arrays: list[np.ndarray]) -> list[list]:
        """Copies the arrays in; their [offset, shape] each."""
        offsets, end = [], 0
        for array in arrays:
            end += -end % ALIGN
            offsets.append(end)
            end += array.nbytes
        if end > self.size:
            size = max(end, 2 * self.size, 1 << 20)
            os.ftruncate(self.fd, size + (-size % mmap.PAGESIZE))
            self.refresh()
        for offset, array in zip(offsets, arrays):
            if array.nbytes:
                np.ndarray(array.shape, array.dtype, buffer=self.map, offset=offset)[...] = array
        return [[offset, list(array.shape)] for offset, array in zip(offsets, arrays)]

    def refresh(self) -> None:
        """Maps the file again if it has grown (the other side may grow it)."""
        size = os.fstat(self.fd).st_size
        if size > self.size:
            # The old mapping goes when the last array viewing it does.
            self.map = mmap.mmap(self.fd, size, mmap.MAP_SHARED, mmap.PROT_READ | (mmap.PROT_WRITE if self.writer else 0))
            self.size = size

    def view(self, offset: int, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        nbytes = math.prod(shape) * dtype.itemsize
        if type(offset) is not int or offset < 0 or offset % ALIGN or offset + nbytes > self.size:
            raise ValueError(f"a tensor of {nbytes} bytes at {offset} is outside the shared file ({self.size} bytes)")
        if nbytes == 0:
            return np.zeros(shape, dtype)
        return np.ndarray(shape, dtype, buffer=self.map, offset=offset)

    def close(self) -> None:
        self.map = None
        try:
            os.close(self.fd)
        except OSError:
            pass
