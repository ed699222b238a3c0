"""WebTensor: a safe, portable virtual machine for ML.

    import webtensor
    model = webtensor.compile(fn, params, x)     # JAX function + example args
    model = webtensor.compile("model.mlir")      # or StableHLO: path, text, bytes
    y = model(params, x)
    model.save("model.vmfb")
    model = webtensor.load("model.vmfb")         # needs only the runtime

`webtensor.load` and everything in `webtensor.runtime` work without the
compiler package installed; the compiler is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .runtime.errors import (
    BudgetExceeded,
    ExecutionError,
    InvalidArgument,
    InvalidArgumentType,
    InvalidEncoding,
    MissingExtra,
    NotFound,
    SecurityError,
    Timeout,
    TooLarge,
    UnsupportedOperation,
    WebTensorError,
    require_compiler,
)
from .runtime.lazy_names import lazy_names

__version__ = "0.1.0"

# Runtime names load on first use (see runtime/__init__.py), compiler names
# too, and only where the compiler is installed.
_RUNTIME_NAMES = {
    "ArtifactCache": "runtime",
    "DeviceInfo": "runtime",
    "DeviceLimits": "runtime",
    "DeviceTensor": "runtime",
    "ExecutionContext": "runtime",
    "FunctionSignature": "runtime",
    "Graph": "runtime",
    "Model": "runtime",
    "ProcessOptions": "runtime",
    "TensorSpec": "runtime",
    "device_limits": "runtime",
    "load_graph": "runtime",
    "devices": "runtime.devices",
    "save_weights": "runtime.weights",
}
_COMPILER_NAMES = ("compile", "compile_ir", "export", "CompileError", "CompileOptions", "ExportedModel", "Phase", "Target")
_PROFILE_NAMES = ("Limits", "op_support_limits")


def load(source, *args, **kwargs):
    """Loads a model: a compiled artifact (`.vmfb`, runtime only; see
    `webtensor.runtime.load`) or a package (`.wtpkg`), which is checked and
    compiled for this host first (see `webtensor.compiler.api.load_package`;
    needs the compiler, and takes compile options as keywords)."""
    from .runtime import load as load_artifact
    from .runtime.package import is_package

    if is_package(source):
        require_compiler("loading a package (.wtpkg), which is compiled for this host first,")
        from .compiler.api import load_package

        if isinstance(source, (bytes, bytearray, memoryview)):
            raise InvalidArgument("load a package from its path: its weights are mapped from the file")
        return load_package(source, *args, **kwargs)
    return load_artifact(source, *args, **kwargs)


_runtime_name, _ = lazy_names(__name__, _RUNTIME_NAMES, globals())

if TYPE_CHECKING:
    from .runtime import (
        ArtifactCache,
        DeviceInfo,
        DeviceLimits,
        DeviceTensor,
        ExecutionContext,
        FunctionSignature,
        Graph,
        Model,
        ProcessOptions,
        TensorSpec,
        device_limits,
        load_graph,
    )
    from .runtime.devices import devices
    from .runtime.weights import save_weights


def __getattr__(name):
    # The compiler (and JAX) load only when a compiler name is first used, so
    # that `import webtensor; webtensor.load(...)` stays a runtime-only import.
    if name in _RUNTIME_NAMES:
        return _runtime_name(name)
    if name in _COMPILER_NAMES:
        require_compiler(f"webtensor.{name}")
        from . import compiler

        return getattr(compiler, name)
    if name in _PROFILE_NAMES:
        require_compiler(f"webtensor.{name}")
        from .dialects import profile

        return getattr(profile, name)
    raise AttributeError(f"module 'webtensor' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "ArtifactCache",
    "BudgetExceeded",
    "CompileError",
    "CompileOptions",
    "DeviceInfo",
    "DeviceLimits",
    "DeviceTensor",
    "ExecutionContext",
    "ExportedModel",
    "ExecutionError",
    "FunctionSignature",
    "Graph",
    "InvalidArgument",
    "InvalidArgumentType",
    "InvalidEncoding",
    "Limits",
    "MissingExtra",
    "Model",
    "NotFound",
    "Phase",
    "ProcessOptions",
    "SecurityError",
    "Target",
    "TensorSpec",
    "Timeout",
    "TooLarge",
    "UnsupportedOperation",
    "WebTensorError",
    "compile",
    "compile_ir",
    "device_limits",
    "devices",
    "export",
    "load",
    "load_graph",
    "op_support_limits",
    "save_weights",
]
