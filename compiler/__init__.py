"""The WebTensor compiler: frontends, phases, passes and IREE, in one process."""

from .api import compile, compile_artifact, compile_ir, import_source
from .diagnostics import CompileError, Diagnostic
from .options import CompileOptions, Phase, Target

__all__ = [
    "CompileError",
    "CompileOptions",
    "Diagnostic",
    "Phase",
    "Target",
    "compile",
    "compile_artifact",
    "compile_ir",
    "import_source",
]
