"""The WebTensor compiler: frontends, phases, passes and IREE, in one process.

Its names load on first use: a tool that only runs passes (webtensor-opt,
the lit tests) or a compile worker need not import the runtime and JAX
that the compile API (api.py) brings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..runtime.lazy_names import lazy_names

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


__getattr__, __dir__ = lazy_names(__name__, _LAZY, globals())
