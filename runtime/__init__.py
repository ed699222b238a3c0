"""The WebTensor runtime: load compiled artifacts and run them.

It depends on `iree-base-runtime` and numpy only, never on the compiler, so a
deployment that ships precompiled artifacts needs nothing else.

Two layers: `load` gives a Model called like a function (`model(x)`);
`load_graph` gives the wasi-nn shape (graph, execution context, compute), an
adapter over the Model that `load` gives.
`webtensor.runtime.devices.devices()` lists this machine's devices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import (
    BudgetExceeded,
    ExecutionError,
    InvalidArgument,
    InvalidArgumentType,
    InvalidEncoding,
    NotFound,
    SecurityError,
    Timeout,
    TooLarge,
    UnsupportedOperation,
    WebTensorError,
)
from .lazy_names import lazy_names

# The rest loads on first use: iree.runtime's import takes ml_dtypes', which
# a process that only compiles, or only reads an error class, need not pay.
_LAZY = {
    "Artifact": "artifact",
    "ArtifactCache": "artifact_cache",
    "CacheStats": "artifact_cache",
    "CacheWarning": "artifact_cache",
    "ProcessOptions": "call_process",
    "DeviceInfo": "devices",
    "EntryPoint": "entry_point",
    "ExecutionContext": "graph",
    "Graph": "graph",
    "load_graph": "graph",
    "DeviceLimits": "limits",
    "device_limits": "limits",
    "Model": "model",
    "load": "model",
    "FunctionSignature": "signature",
    "TensorSpec": "signature",
    "DeviceTensor": "tensor",
    "TreeSpec": "tree",
}

if TYPE_CHECKING:
    from .artifact import Artifact
    from .artifact_cache import ArtifactCache, CacheStats, CacheWarning
    from .call_process import ProcessOptions
    from .devices import DeviceInfo
    from .entry_point import EntryPoint
    from .graph import ExecutionContext, Graph, load_graph
    from .limits import DeviceLimits, device_limits
    from .model import Model, load
    from .signature import FunctionSignature, TensorSpec
    from .tensor import DeviceTensor
    from .tree import TreeSpec


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())

__all__ = [
    "Artifact",
    "ArtifactCache",
    "BudgetExceeded",
    "CacheStats",
    "CacheWarning",
    "DeviceInfo",
    "DeviceLimits",
    "DeviceTensor",
    "EntryPoint",
    "ExecutionContext",
    "ExecutionError",
    "FunctionSignature",
    "Graph",
    "InvalidArgument",
    "InvalidArgumentType",
    "InvalidEncoding",
    "Model",
    "NotFound",
    "ProcessOptions",
    "SecurityError",
    "TensorSpec",
    "Timeout",
    "TooLarge",
    "TreeSpec",
    "UnsupportedOperation",
    "WebTensorError",
    "device_limits",
    "load",
    "load_graph",
]
