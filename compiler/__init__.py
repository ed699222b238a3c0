"""The WebTensor compiler: frontends, phases, passes and IREE, in one process."""

from .api import ExportedModel, compile, compile_artifact, compile_ir, export, import_source, load_package
from .diagnostics import CompileError, Diagnostic
from .options import CompileOptions, Phase, Target

__all__ = [
    "CompileError",
    "CompileOptions",
    "Diagnostic",
    "ExportedModel",
    "Phase",
    "Target",
    "compile",
    "compile_artifact",
    "compile_ir",
    "export",
    "import_source",
    "load_package",
]
