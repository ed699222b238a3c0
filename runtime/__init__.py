"""The WebTensor runtime: load compiled artifacts and run them.

It depends on `iree-base-runtime` and numpy only, never on the compiler, so a
deployment that ships precompiled artifacts needs nothing else.
"""

from .artifact import Artifact
from .errors import (
    BudgetExceeded,
    ExecutionError,
    InvalidArgument,
    InvalidEncoding,
    NotFound,
    SecurityError,
    Timeout,
    TooLarge,
    UnsupportedOperation,
    WebTensorError,
)
from .model import EntryPoint, Model, load
from .signature import FunctionSignature, TensorSpec
from .tree import TreeSpec

__all__ = [
    "Artifact",
    "BudgetExceeded",
    "EntryPoint",
    "ExecutionError",
    "FunctionSignature",
    "InvalidArgument",
    "InvalidEncoding",
    "Model",
    "NotFound",
    "SecurityError",
    "TensorSpec",
    "Timeout",
    "TooLarge",
    "TreeSpec",
    "UnsupportedOperation",
    "WebTensorError",
    "load",
]
