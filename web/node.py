"""Running wasm32 artifacts in Node, through the JS API (web/webtensor.mjs).

`run_in_node(artifact, inputs)` makes one call in a fresh `node` process
(web/node_run.mjs) and returns numpy arrays; errors come back as the
runtime's error classes, with the JS runtime's message. A model compiled
with bound weights gets them with `weights=`: a weights file (safetensors, .irpa or
a .wtpkg package, which the JS side reads itself) or a mapping of weight
name to array. This is what
`webtensor-run --device=node` and the web tests use. It needs Node 18 or
newer (Debian: apt-get install nodejs); WEBTENSOR_NODE names another binary.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from collections.abc import Mapping
from typing import Any, Sequence

import numpy as np

from ..runtime import errors
from ..runtime.deadline import check_deadline
from ..runtime.dtypes import by_dtype, by_name

WEB_DIR = Path(__file__).parent
RUNNER = WEB_DIR / "node_run.mjs"
NODE_ENV = "WEBTENSOR_NODE"
NO_NODE = "Node.js is not installed (apt-get install nodejs), or set WEBTENSOR_NODE to its path"



def find_node() -> str | None:
    """The node binary, or None if this machine has none."""
    return os.environ.get(NODE_ENV) or shutil.which("node")


@dataclasses.dataclass(frozen=True)
class NodeResult:
    outputs: list[np.ndarray]
    milliseconds: float  # the first call, in the JS runtime
    timing: dict | None  # with repeat: median_ms, min_ms of the repeats


def run_in_node(
    artifact: str | os.PathLike | bytes,
    inputs: Sequence[np.ndarray],
    function: str | None = None,
    fuel: int | None = None,
    repeat: int = 0,
    timeout: float = 600,
    weights: str | os.PathLike | Mapping[str, Any] | None = None,
    deadline: float | None = None,
) -> NodeResult:
    """Calls `function` (default: main) of a wasm32 artifact on `inputs`,
    in order, in Node, with `weights` bound (a path, or arrays by name).
    With a `deadline` (seconds) the call runs in a worker thread that is
    stopped at the deadline (Timeout). With `repeat`, also times that many
    more calls."""
    node = find_node()
    if node is None:
        raise errors.UnsupportedOperation(NO_NODE)
    with tempfile.TemporaryDirectory(prefix="webtensor-node-") as folder:
        work = Path(folder)
        if isinstance(artifact, bytes):
            (work / "artifact.vmfb").write_bytes(artifact)
            artifact = work / "artifact.vmfb"
        specs = stage_inputs(work, inputs)
        request = {
            "artifact": str(Path(artifact).resolve()),
            "function": function,
            "fuel": None if fuel is None else str(int(fuel)),
            "deadline": check_deadline(deadline),
            "inputs": specs,
            "weights": stage_weights(work, weights),
            "out_dir": str(work),
            "repeat": int(repeat),
        }
        (work / "request.json").write_text(json.dumps(request))
        try:
            done = subprocess.run([node, str(RUNNER), str(work / "request.json")], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise errors.Timeout(f"the call did not finish in Node within {timeout:g} s") from None
        reply = _reply(done)
        if "error" in reply:
            raise error_of(reply["error"]["kind"], reply["error"]["message"])
        outputs = [read_output(output["dtype"], output["shape"], Path(output["path"]).read_bytes()) for output in reply["outputs"]]
        return NodeResult(outputs, float(reply["milliseconds"]), reply.get("timing"))


def _reply(done: subprocess.CompletedProcess) -> dict:
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        detail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise errors.ExecutionError(f"Node ended without a result: {detail}")
    return json.loads(lines[-1])


def stage_inputs(work: Path, inputs: Sequence[np.ndarray]) -> list[dict]:
    """Writes each input's little-endian bytes under `work`: [{dtype, shape, path}]."""
    specs = []
    for i, value in enumerate(inputs):
        array = np.asarray(value)  # not ascontiguousarray: it makes a scalar 1-d
        element = by_dtype(array.dtype)
        if element is None:
            raise errors.InvalidArgument(f"input {i}: element type {array.dtype} cannot be passed to a model")
        path = work / f"input{i}.bin"
        path.write_bytes(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
        specs.append({"dtype": element.name, "shape": list(array.shape), "path": str(path)})
    return specs


def stage_weights(work: Path, weights: Any) -> dict | None:
    """The request's weights: {file: PATH} or {arrays: {name: {dtype, shape, path}}}."""
    if weights is None:
        return None
    if isinstance(weights, (str, os.PathLike)):
        return {"file": str(Path(weights).resolve())}
    if not isinstance(weights, Mapping):
        raise errors.InvalidArgument("weights: expected a weights file (safetensors, .irpa or .wtpkg) or a mapping of weight name to array")
    folder = work / "weights"
    folder.mkdir()
    names = list(weights)
    specs = stage_inputs(folder, [weights[name] for name in names])
    return {"arrays": dict(zip(names, specs))}


def error_of(kind: str, message: str) -> errors.WebTensorError:
    """The runtime error for a JS error class name (errors.mjs)."""
    if kind == "SecurityError":  # not among the names child processes report
        return errors.SecurityError(message)
    return errors.by_name(kind)(message)


def read_output(dtype_name: str, shape: list[int], data: bytes) -> np.ndarray:
    dtype = by_name(dtype_name).dtype
    return np.frombuffer(data, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)
