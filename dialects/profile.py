"""The WebTensor profile: what a module may contain, in one place.

Every op a module may use after legalization is listed here with the element
types it accepts (the ones IREE 3.13 lowers correctly, checked by
tests/unit/test_profile.py); everything else is rejected with a reason. The
limits bound what one module may ask of the host. The profile has a version
so that hosts can tell which rules an artifact was checked against.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from .attributes import declared_bounds

VERSION = "webtensor-profile/1"

BOOL = ("i1",)
SIGNED = ("i8", "i16", "i32", "i64")
UNSIGNED = ("ui8", "ui16", "ui32", "ui64")
INTEGERS = SIGNED + UNSIGNED
FLOATS = ("f16", "bf16", "f32", "f64")
COMPLEX = ("complex<f32>", "complex<f64>")
ELEMENT_TYPES = BOOL + INTEGERS + FLOATS + COMPLEX
REAL = BOOL + INTEGERS + FLOATS  # everything but complex

MIB = 1 << 20
GIB = 1 << 30


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one module may ask of the host. Hosts may lower or raise any of them.

    Attributes:
      max_tensor_elements: elements in any one tensor.
      max_constant_bytes: bytes of all constants together (pass weights as
        arguments instead of baking them in).
      max_live_bytes: estimated peak bytes of live tensors during one call.
      max_ops: ops in the program once every call is inlined.
      max_call_depth: calls nested inside one another (MLIR's inliner takes
        time cubic in it; JAX's own nesting is a handful).
      max_rank: dimensions of any tensor.
      max_region_depth: how deeply regions (loop bodies, reducers) nest.
      max_op_work: element operations of any one op (a matmul's
        multiply-adds, a window reduction's output times window size). A
        loop's iterations are bounded at run time by the fuel instead.
      max_sort_size: elements along a sorted dimension. IREE's sort takes
        time quadratic in it (16384 elements: 0.3 s; 65536: about 5 s).
      dynamic_dim_bound: the bound given to a dynamic dimension that declares
        none; None rejects unbounded dynamic dimensions.
    """

    max_tensor_elements: int = 1 << 31
    max_constant_bytes: int = 1 * GIB
    max_live_bytes: int = 16 * GIB
    max_ops: int = 1_000_000
    max_call_depth: int = 64
    max_rank: int = 8
    max_region_depth: int = 32
    max_op_work: int = 1 << 42
    max_sort_size: int = 1 << 16
    dynamic_dim_bound: int | None = None

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def parse(cls, settings: dict[str, str]) -> Limits:
        """Limits from name-to-text settings, as `--limit NAME=VALUE` and the
        pass option `{max_rank=4}` spell them: an integer as Python writes
        one (1024, 0x400, 1_000), or "none" for a limit that may be absent."""
        fields = {field.name: field for field in dataclasses.fields(cls)}
        values = {}
        for name, text in settings.items():
            if name not in fields:
                raise UnknownLimit(name, tuple(sorted(fields)))
            values[name] = _limit_value(fields[name], text)
        return cls(**values)

    def settings(self) -> dict[str, str]:
        """The limits that differ from the defaults, spelled as `parse` reads them."""
        return {
            field.name: _limit_text(getattr(self, field.name))
            for field in dataclasses.fields(self)
            if getattr(self, field.name) != field.default
        }


class UnknownLimit(ValueError):
    """A setting names no limit; `names` are the limits there are."""

    def __init__(self, name: str, names: tuple[str, ...]):
        super().__init__(f"unknown limit '{name}'; limits: {', '.join(names)}")
        self.name = name
        self.names = names


class BadLimitValue(ValueError):
    """A setting's text is not a value its limit takes."""

    def __init__(self, name: str, text: str):
        super().__init__(f"limit {name}: '{text}' is not an integer")
        self.name = name
        self.text = text


def _limit_value(field: dataclasses.Field, text: str) -> int | None:
    # Only a limit declared `int | None` may be absent; a None elsewhere
    # would reach the verifier's arithmetic as a crash, not an error.
    if text == "none" and "None" in str(field.type):
        return None
    try:
        return int(text, 0)
    except ValueError:
        raise BadLimitValue(field.name, text) from None


def _limit_text(value: int | None) -> str:
    return "none" if value is None else str(value)


@dataclasses.dataclass(frozen=True)
class OpRule:
    """The element types an op accepts, for its operands and results alike
    (`results` overrides for ops like is_finite whose results differ)."""

    types: tuple[str, ...]
    results: tuple[str, ...] | None = None
    notes: str = ""


def _rules(types: tuple[str, ...], *names: str, **kwargs) -> dict[str, OpRule]:
    return {f"stablehlo.{name}": OpRule(types, **kwargs) for name in names}


# IREE 3.13 on the CPU links no f64 trigonometry, cube root or remainder, and
# no complex<f64> transcendental functions at all. webtensor-expand-f64-math
# computes f64 sine, cosine, tan, tanh, atan2 and cbrt (and expm1 and log1p,
# which IREE gets 1e-8 wrong), and the complex<f64> functions but power and
# atan2, with f64 arithmetic IREE lowers; f64 remainder stays out.
FLOATS_BELOW_64 = ("f16", "bf16", "f32")
_FLOAT_MATH = ("exponential", "exponential_minus_one", "log", "log_plus_one", "logistic", "rsqrt", "sqrt")
_TRIGONOMETRY = ("cosine", "sine", "tan", "tanh")
_BITWISE = ("and", "or", "xor", "not")
_INT_BITS = ("popcnt", "count_leading_zeros", "shift_left", "shift_right_arithmetic", "shift_right_logical")

# IREE 3.13 lowers an FFT only in f32, along one dimension of a power-of-two
# length; webtensor-expand-fft computes every other one (f64, other lengths,
# two or three dimensions) as a DFT by matrix products, whose cost and
# constants grow as the square of the length: lengths up to MAX_DFT_LENGTH.
MAX_DFT_LENGTH = 1024
FFT_NOTES = (
    f"f32 along one power-of-two dimension by IREE's FFT; f64, other lengths and several dimensions "
    f"as a DFT by matrix products, each transformed length at most {MAX_DFT_LENGTH}"
)


def fft_lowered_by_iree(part: str, lengths: tuple[int, ...]) -> bool:
    """Whether IREE's own FFT computes this one: f32 (or complex<f32>), one
    dimension, of a power-of-two length."""
    return part == "f32" and len(lengths) == 1 and lengths[0] >= 1 and not lengths[0] & (lengths[0] - 1)


def fft_problem(part: str, lengths: tuple[int, ...]) -> str | None:
    """Why an FFT of these lengths, computed in `part` (f32 or f64), is
    outside the profile, or None."""
    if fft_lowered_by_iree(part, lengths):
        return None
    if not 1 <= len(lengths) <= 3 or min(lengths) < 1:
        return f"an fft of length {list(lengths)} is not in the profile: it takes one to three lengths of at least 1"
    if max(lengths) > MAX_DFT_LENGTH:
        return (
            f"an fft of length {list(lengths)} is not in the profile: beyond IREE's own FFT (f32, one "
            f"power-of-two dimension) it is a DFT by matrix products, of lengths up to {MAX_DFT_LENGTH}"
        )
    return None


_NO_COMPLEX_F64 = BOOL + INTEGERS + FLOATS + ("complex<f32>",)
COMPLEX_F64_CONSTANT_NOTES = (
    "a complex<f64> constant only where it is read by other ops, and with elements that are not all "
    "equal: IREE 3.13 cannot make a buffer of one"
)


OPS: dict[str, OpRule] = {
    **_rules(ELEMENT_TYPES, "add", "multiply", "maximum", "minimum"),
    **_rules(INTEGERS + FLOATS + COMPLEX, "subtract", "divide", "negate"),
    **_rules(INTEGERS + FLOATS_BELOW_64, "remainder"),
    **_rules(FLOATS + ("complex<f32>",), "power"),
    **_rules(FLOATS + COMPLEX, *_FLOAT_MATH),
    **_rules(FLOATS + ("complex<f32>",), "atan2"),
    **_rules(FLOATS + COMPLEX, *_TRIGONOMETRY),
    **_rules(FLOATS + COMPLEX, "real", "imag"),
    **_rules(FLOATS, "cbrt"),
    **_rules(FLOATS, "ceil", "floor", "round_nearest_afz", "round_nearest_even", "reduce_precision"),
    **_rules(("f32", "f64") + COMPLEX, "complex"),  # StableHLO has no complex<f16>
    **_rules(SIGNED + FLOATS + COMPLEX, "abs", results=SIGNED + FLOATS),  # |complex| is real
    **_rules(SIGNED + FLOATS + COMPLEX, "sign"),
    **_rules(FLOATS, "is_finite", results=BOOL),
    **_rules(BOOL + INTEGERS, *_BITWISE),
    **_rules(INTEGERS, *_INT_BITS),
    # Ops that move or select data work on every element type, but where IREE
    # 3.13 must fill a buffer with one complex<f64> value (a 128-bit
    # pattern, which its stream dialect cannot splat): a pad, a padded
    # window, a scatter (the sandbox pads its operand), a splat constant;
    # nor a buffer of complex<f64> constants (verify-profile says which).
    **_rules(
        ELEMENT_TYPES,
        "compare", "select", "clamp", "convert", "broadcast_in_dim", "broadcast",
        "concatenate", "reshape", "reverse", "slice", "transpose", "dynamic_slice",
        "dynamic_update_slice", "gather", "get_dimension_size", "reduce", "sort", "map",
        "while", "if", "case", "return", "optimization_barrier",
    ),
    **_rules(ELEMENT_TYPES, "constant", notes=COMPLEX_F64_CONSTANT_NOTES),
    **_rules(_NO_COMPLEX_F64, "pad", "reduce_window", "scatter"),
    # StableHLO has no boolean iota.
    **_rules(INTEGERS + FLOATS + COMPLEX, "iota"),
    # webtensor-sandbox-select-and-scatter decomposes it, unsigned integers
    # included (IREE 3.13's own lowering takes none).
    **_rules(BOOL + INTEGERS + FLOATS + COMPLEX, "select_and_scatter"),
    **_rules(REAL, "bitcast_convert", notes="between widths, the last dimension splits or joins elements, little-endian on every target"),
    **_rules(ELEMENT_TYPES, "dot_general", "dot", "convolution"),
    **_rules(("f32", "f64") + COMPLEX, "fft", notes=FFT_NOTES),
    **_rules(FLOATS, "batch_norm_inference", "batch_norm_training"),
    # IREE 3.13 lowers random bits into integers and f32 only.
    **_rules(INTEGERS + ("f32",), "rng_bit_generator"),
    "func.func": OpRule(ELEMENT_TYPES),
    "func.return": OpRule(ELEMENT_TYPES),
    "builtin.module": OpRule(ELEMENT_TYPES),
}

# Ops that are never allowed, and why. Anything in neither table is rejected
# as "not in the WebTensor profile".
FORBIDDEN: dict[str, str] = {
    **{
        f"stablehlo.{name}": "it hands control to the host or another device"
        for name in ("custom_call", "infeed", "outfeed", "send", "recv")
    },
    **{
        f"stablehlo.{name}": "collectives need other devices; WebTensor runs single-device models"
        for name in (
            "all_reduce", "all_gather", "all_to_all", "collective_permute",
            "collective_broadcast", "reduce_scatter", "partition_id", "replica_id",
        )
    },
    "stablehlo.after_all": "tokens order side effects, and a model may have none",
    "stablehlo.create_token": "tokens order side effects, and a model may have none",
    "stablehlo.rng": "its results are implementation-defined; use rng_bit_generator",
    "stablehlo.tuple": "tuples are not in the profile; pass and return tensors",
    "stablehlo.get_tuple_element": "tuples are not in the profile; pass and return tensors",
    "stablehlo.triangular_solve": "IREE 3.13 cannot lower it",
    "stablehlo.cholesky": "IREE 3.13 cannot lower it",
    "stablehlo.batch_norm_grad": "IREE 3.13 cannot lower it",
    "stablehlo.uniform_quantize": "quantized types are not in the profile",
    "stablehlo.uniform_dequantize": "quantized types are not in the profile",
    "stablehlo.dynamic_gather": "use gather, whose slice sizes are static",
    "stablehlo.dynamic_conv": "use convolution, whose padding is static",
    "stablehlo.dynamic_iota": "dynamic shapes must come from the inputs",
    "stablehlo.dynamic_pad": "dynamic shapes must come from the inputs",
    "stablehlo.dynamic_reshape": "dynamic shapes must come from the inputs",
    "stablehlo.dynamic_broadcast_in_dim": "dynamic shapes must come from the inputs",
    "stablehlo.real_dynamic_slice": "dynamic shapes must come from the inputs",
    "stablehlo.einsum": "deprecated; use dot_general",
    "stablehlo.unary_einsum": "deprecated; use dot_general",
    "stablehlo.torch_index_select": "not in the StableHLO specification; use gather",
    "stablehlo.composite": "composites are replaced by their decompositions during legalization",
    "func.call": "every call is inlined during legalization",
}

# Control flow that the iteration budget threads through. Loops may appear in
# function bodies and in other control flow, not in per-element bodies such
# as reducers or sort comparators.
CONTROL_FLOW = ("stablehlo.while", "stablehlo.if", "stablehlo.case")
LOOP_PARENTS = CONTROL_FLOW + ("func.func",)


def element_name(t: ir.Type) -> str:
    return str(t)


def type_problem(t: ir.Type, limits: Limits | None = None) -> str | None:
    """Why a value of type `t` may not appear, or None if it may."""
    if isinstance(t, ir.FunctionType):
        return None
    if not isinstance(t, ir.RankedTensorType):
        return f"type {t} is not allowed; values must be ranked tensors"
    element = element_name(t.element_type)
    if element not in ELEMENT_TYPES:
        return f"element type {element} is not in the profile; allowed: {', '.join(ELEMENT_TYPES)}"
    if t.encoding is not None and declared_bounds(t) is None:
        return f"tensor encoding {t.encoding} is not allowed"
    return None


def op_support_limits(limits: Limits | None = None) -> dict:
    """The profile as data, in the spirit of WebNN's `opSupportLimits()`:
    per op, the element types and rank range it accepts, and the limits."""
    limits = limits or Limits()
    ops = {}
    for name, rule in sorted(OPS.items()):
        if not name.startswith("stablehlo."):
            continue
        entry = {"element_types": list(rule.types), "rank_range": [0, limits.max_rank]}
        if rule.results:
            entry["result_element_types"] = list(rule.results)
        if rule.notes:
            entry["notes"] = rule.notes
        ops[name.removeprefix("stablehlo.")] = entry
    return {
        "version": VERSION,
        "ops": ops,
        "forbidden": {k.split(".", 1)[1]: v for k, v in sorted(FORBIDDEN.items()) if k.startswith("stablehlo.")},
        "limits": limits.to_dict(),
    }


def dynamic_bound(t: ir.RankedTensorType, dim: int, limits: Limits) -> int | None:
    """The most a dynamic dim may be: its declared bound, else the limit."""
    bounds = declared_bounds(t)
    if bounds and bounds[dim] is not None:
        return bounds[dim]
    return limits.dynamic_dim_bound
