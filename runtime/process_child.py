"""The child's side of calls in a child process (runtime/call_process.py
says why and how): it loads the model with the ordinary `load` and serves
each call with `EntryPoint.call_flat`, so that inputs, budgets and errors
are checked in one place. The parent runs `child_main` of this module by
name, forked by a zygote (runtime/zygote.py) that imported it, or in a new
interpreter; it never imports this module, which imports the model.
"""

from __future__ import annotations

import mmap
import os
import socket
import sys
import threading
from typing import Any

import numpy as np

from . import errors
from .model import load
from .process_channel import ERROR_CHARS, Arena, Channel, Died


def child_main(argv: list[str]) -> None:
    """The child process: load the model, then serve calls until the parent
    closes the socket or goes away."""
    control, inputs_fd, outputs_fd, init_fd = (int(arg) for arg in argv[:4])
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    channel = Channel(socket.socket(fileno=control))
    try:
        setup = channel.receive()
    except Died:
        return
    try:
        model = _load(setup, init_fd)
    except errors.WebTensorError as e:
        channel.send(_error(e))
        return
    finally:
        os.close(init_fd)
    channel.send({"ready": os.getpid()})
    inputs, outputs = Arena(inputs_fd, False), Arena(outputs_fd, True)
    while True:
        try:
            request = channel.receive()
        except Died:
            return
        channel.send(_serve(model, request, inputs, outputs))


def _exit_with_parent() -> None:
    try:
        while sys.stdin.buffer.read(1 << 16):
            pass
    finally:
        os._exit(0)


def _load(setup: dict, init_fd: int):
    size = os.fstat(init_fd).st_size
    init = mmap.mmap(init_fd, size, mmap.MAP_SHARED, mmap.PROT_READ) if size else b""
    model = load(bytes(init[: setup["artifact"]]), setup["device"], setup["fuel"], process=False)
    weights = setup.get("weights")
    if weights is not None and "path" in weights:
        model.load_weights(weights["path"])
    elif weights is not None:
        # The model copies them into memory of its own; the shared file goes.
        model.load_weights({
            spec.name: np.ndarray(spec.shape, spec.element_type.dtype, buffer=init, offset=offset)
            for spec, offset in zip(model.weights.specs, weights["arrays"])
        })
    return model


def _serve(model: Any, request: dict, inputs: Arena, outputs: Arena) -> dict:
    name = request["call"]
    leaves: list[np.ndarray] = []
    try:
        entry = model[name]
        inputs.refresh()
        for (offset, shape), spec in zip(request["inputs"], entry.signature.inputs):
            leaves.append(inputs.view(offset, tuple(shape), spec.element_type.dtype))
        results = entry.call_flat(leaves, fuel=request["fuel"])
    except errors.WebTensorError as e:
        return _error(e)
    except Exception as e:  # reported to the parent, which raises it as an ExecutionError
        return {"error": "ExecutionError", "message": f"{name} failed on {model.device}: {type(e).__name__}: {e}"}
    finally:
        del leaves  # views of the shared file: it may be mapped anew for the next call
    return {"outputs": outputs.write(results)}


def _error(e: Exception) -> dict:
    return {"error": type(e).__name__, "message": str(e)[:ERROR_CHARS]}
