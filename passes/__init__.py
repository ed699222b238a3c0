"""WebTensor's passes, by name.

Each pass lives in its own module named after it (`webtensor-legalize-composite`
in `legalize_composite.py`) and is tested by a lit file of the same name under
tests/lit/passes/.
"""

from __future__ import annotations

from .base import ModulePass, Report
from .bind_weights import BindWeights
from .cpu_softmax import CpuSoftmax
from .expand_f64_math import ExpandF64Math
from .expand_fft import ExpandFft
from .legalize_composite import LegalizeComposite
from .lower_unsigned import LowerUnsigned
from .round_bf16 import RoundBf16
from .sandbox_boolean_arithmetic import SandboxBooleanArithmetic
from .sandbox_compare import SandboxCompare
from .sandbox_dynamic_slice import SandboxDynamicSlice
from .sandbox_float_to_int import SandboxFloatToInt
from .sandbox_gather import SandboxGather
from .sandbox_fuel import SandboxFuel
from .sandbox_integer_division import SandboxIntegerDivision
from .sandbox_pad import SandboxPad
from .sandbox_scatter import SandboxScatter
from .sandbox_select_and_scatter import SandboxSelectAndScatter
from .sandbox_shift import SandboxShift
from .sandbox_sort import SandboxSort
from .strip_attributes import StripAttributes
from .verify_call_graph import VerifyCallGraph
from .verify_dynamic_shapes import VerifyDynamicShapes
from .verify_input import VerifyInput
from .verify_profile import VerifyProfile
from .wasm_float16 import WasmFloat16

PASSES: dict[str, type[ModulePass]] = {
    cls.name: cls
    for cls in (
        BindWeights,
        CpuSoftmax,
        ExpandF64Math,
        ExpandFft,
        LegalizeComposite,
        LowerUnsigned,
        RoundBf16,
        SandboxBooleanArithmetic,
        SandboxCompare,
        SandboxDynamicSlice,
        SandboxFloatToInt,
        SandboxGather,
        SandboxFuel,
        SandboxIntegerDivision,
        SandboxPad,
        SandboxScatter,
        SandboxSelectAndScatter,
        SandboxShift,
        SandboxSort,
        StripAttributes,
        VerifyCallGraph,
        VerifyDynamicShapes,
        VerifyInput,
        VerifyProfile,
        WasmFloat16,
    )
}

__all__ = ["PASSES", "ModulePass", "Report", "VerifyCallGraph", "VerifyInput", "VerifyProfile"]
