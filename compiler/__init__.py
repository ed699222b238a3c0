"""The WebTensor compiler: frontends, phases, passes and IREE, in one process.

Its names load on first use: a tool that only runs passes (webtensor-opt,
the lit tests) or a compile worker need not import the runtime and JAX
that the compile API (api.py) brings.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

_LAZY = {
    "ExportedModel": "api",
    "compile": "api",
    "compile_artifact": "api",
    "compile_ir": "api",
    "export": "api",
    "import_source": "api",
    "load_package": "api",
    "CompileError": "diagnostics",
    "Diagnostic": "diagnostics",
    "CompileOptions": "options",
    "Phase": "options",
    "Target": "options",
}

if TYPE_CHECKING:
    from .api import ExportedModel, compile, compile_artifact, compile_ir, export, import_source, load_package
    from .diagnostics import CompileError, Diagnostic
    from .options import CompileOptions, Phase, Target

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'webtensor.compiler' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
