"""The hostile modules: small StableHLO programs written to crash, hang or
trick a compiler, each with the one outcome WebTensor defines for it.

Every case states its expected outcome:

- `value`: compiles, runs on llvm-cpu and returns exactly `want`, computed
  here in numpy from the semantics in DESIGN.md and README.md "The sandbox"
  (the StableHLO spec, XLA's where the spec leaves a choice);
- `budget`: compiles, and the call ends with `webtensor.BudgetExceeded`;
- `rejected`: `webtensor.compile` raises a `CompileError` whose text
  contains `message`.

Families are functions that yield cases; `all_cases()` builds them all,
deterministically (every random draw is seeded by the case's name).
Plain IREE 3.13 crashes, hangs or returns garbage on many of these; none
of the `value` cases is ever compiled without the sandbox here.
"""

from __future__ import annotations

import dataclasses
import textwrap
import zlib
from pathlib import Path
from typing import Callable, Iterator

import ml_dtypes
import numpy as np

from ..spec import convert_reference, edge_values, gather_reference, reduce_window_spec, scatter_reference

VALUE, BUDGET, REJECTED = "value", "budget", "rejected"
EXPECTATIONS = (VALUE, BUDGET, REJECTED)

BF16 = np.dtype(ml_dtypes.bfloat16)
SIGNED = [np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64)]
UNSIGNED = [np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64)]
INTEGERS = SIGNED + UNSIGNED
FLOATS = [np.dtype(np.float16), BF16, np.dtype(np.float32), np.dtype(np.float64)]
I1, I8, I16, I32, I64 = (np.dtype(t) for t in (np.bool_, np.int8, np.int16, np.int32, np.int64))
U8, U16, U32, U64 = UNSIGNED
F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
C64 = np.dtype(np.complex64)

# IREE demotes f64 to f32 unless told not to (and the artifact then takes f32).
KEEP_F64 = {"iree_flags": ("--iree-input-demote-f64-to-f32=false",)}

# Crashers found by tests/fuzz, kept by the unit tests; they must stay clean errors.
FUZZ_INPUTS = Path(__file__).resolve().parent.parent / "unit" / "inputs"


@dataclasses.dataclass(frozen=True)
class Iterations:
    """A budget in loop iterations, priced by the compiled signature (the
    budget counts work units: dialects/cost.py): the up-front cost, plus
    `counts[i]` iterations of loop i in the signature's order or, for a
    single number, that many iterations of the dearest loop; `short` units
    less."""

    counts: tuple[int, ...] | int
    short: int = 0

    def units(self, signature) -> int:
        costs = signature.loop_costs
        if isinstance(self.counts, int):
            paid = self.counts * max(costs, default=0)
        else:
            if len(self.counts) != len(costs):
                raise ValueError(f"{len(self.counts)} iteration counts for {len(costs)} loops")
            paid = sum(n * c for n, c in zip(self.counts, costs))
        return signature.cost + paid - self.short


def call_budget(fuel: "int | Iterations | None", signature) -> int | None:
    """The `fuel=` of a case's call."""
    return fuel.units(signature) if isinstance(fuel, Iterations) else fuel


@dataclasses.dataclass(frozen=True)
class Case:
    """One hostile module and its defined outcome.

    Attributes:
      name: "family/what", unique.
      source: MLIR text, or bytes (bytecode, or garbage).
      expect: VALUE, BUDGET or REJECTED.
      inputs: the call's arguments (VALUE and BUDGET).
      want: the call's outputs, exactly: same dtypes, shapes, bits (NaNs
        compare equal to NaNs, -0.0 differs from 0.0).
      check: for the few VALUE cases with no single defined output, a
        module-level function `check(inputs, outputs) -> str | None` that
        says what is wrong, or None.
      message: REJECTED: a substring of the CompileError's text.
      function: the entry point to call.
      fuel: the call's budget: work units, Iterations, or None for the
        model's default.
      options: CompileOptions fields; `isolate` is False unless set here
        (the runner's child process is the isolation).
      timeout: seconds this case may take in the runner, compile included.
      via_package: ship the module as a package (webtensor.export, then
        webtensor.load of the .wtpkg) instead of compiling it directly.
    """

    name: str
    source: str | bytes
    expect: str
    inputs: tuple = ()
    want: tuple | None = None
    check: Callable | None = None
    message: str = ""
    function: str = "main"
    fuel: "int | Iterations | None" = None
    options: dict = dataclasses.field(default_factory=dict)
    timeout: float = 30.0
    via_package: bool = False

    def __post_init__(self):
        if self.expect not in EXPECTATIONS:
            raise ValueError(f"{self.name}: expect must be one of {EXPECTATIONS}, got {self.expect!r}")
        if self.expect == VALUE and (self.want is None) == (self.check is None):
            raise ValueError(f"{self.name}: a value case needs exactly one of want and check")
        if self.expect == REJECTED and not self.message:
            raise ValueError(f"{self.name}: a rejected case needs the message it expects")
        if self.expect != VALUE and (self.want is not None or self.check is not None):
            raise ValueError(f"{self.name}: only value cases have expected outputs")

    @property
    def family(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def isolate(self) -> bool:
        return bool(self.options.get("isolate", False))

    def compile_key(self) -> tuple:
        """Cases with equal keys share one compiled module in a child process."""
        return (self.source, repr(sorted(self.options.items())), self.via_package)


def value(name, source, inputs, want, **kwargs) -> Case:
    return Case(name, source, VALUE, inputs=tuple(inputs), want=tuple(np.asarray(w) for w in want), **kwargs)


def budget(name, source, inputs, **kwargs) -> Case:
    return Case(name, source, BUDGET, inputs=tuple(inputs), **kwargs)


def rejected(name, source, message, **kwargs) -> Case:
    return Case(name, source, REJECTED, message=message, **kwargs)


# --- MLIR text ------------------------------------------------------------------------

ELEMENT_NAMES = {
    I1: "i1", I8: "i8", I16: "i16", I32: "i32", I64: "i64",
    U8: "ui8", U16: "ui16", U32: "ui32", U64: "ui64",
    F16: "f16", BF16: "bf16", F32: "f32", F64: "f64", C64: "complex<f32>",
}


def el(dtype) -> str:
    return ELEMENT_NAMES[np.dtype(dtype)]


def tt(shape, dtype) -> str:
    """tensor<2x3xf32>, tensor<f32>."""
    dims = "".join(f"{n}x" for n in shape)
    return f"tensor<{dims}{el(dtype)}>"


def literal(v, dtype) -> str:
    """One element, exactly: floats by their bit pattern."""
    dtype = np.dtype(dtype)
    if dtype == I1:
        return "true" if v else "false"
    if dtype.kind in "iu":
        return str(int(v))
    bits = np.array([v], dtype).view(f"u{dtype.itemsize}")[0]
    return f"0x{int(bits):0{2 * dtype.itemsize}X}"


def dense(array: np.ndarray) -> str:
    array = np.asarray(array)
    if array.ndim == 0:
        return literal(array[()], array.dtype)
    return "[" + ", ".join(dense(a) for a in array) + "]"


def constant(name: str, array) -> str:
    array = np.asarray(array)
    return f"%{name} = stablehlo.constant dense<{dense(array)}> : {tt(array.shape, array.dtype)}"


def func(params, results, body, returns, name="main", private=False) -> str:
    """`func.func @name(params) -> results` with `body` (lines, or text
    blocks) and `return returns`."""
    signature = ", ".join(f"%{n}: {t}" for n, t in params)
    result = results[0] if len(results) == 1 else f"({', '.join(results)})"
    lines = [f"func.func {'private ' if private else ''}@{name}({signature}) -> {result} {{"]
    for block in body:
        lines += ["  " + line for line in textwrap.dedent(block).strip("\n").splitlines()]
    lines += [f"  return {', '.join(returns)} : {', '.join(results)}", "}"]
    return "\n".join(lines) + "\n"


def region(args, body, element) -> str:
    """A two-argument region on rank-0 `element` tensors: `^bb0(%a, %b)`."""
    t = tt((), element)
    header = "^bb0(" + ", ".join(f"%{a}: {t}" for a in args) + "):"
    return header + "\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "  ")


def rng_for(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def wrap(v: int, dtype) -> int:
    """`v` as a two's-complement `dtype` holds it."""
    info = np.iinfo(dtype)
    return (v - int(info.min)) % (1 << info.bits) + int(info.min)





def mixed_indices(rng, dtype, size: int, window: int, extra: int = 4) -> np.ndarray:
    """Every edge index, and `extra` random valid ones, shuffled."""
    high = min(size - window, int(np.iinfo(dtype).max))
    inside = list(rng.integers(0, high + 1, extra))
    values = edge_values(dtype, size, window) + [int(v) for v in inside]
    return rng.permutation(np.array(values, dtype=dtype))


def float_data(rng, shape, dtype=F32) -> np.ndarray:
    """Small integer values (any sum is exact), with -0.0 and a NaN."""
    x = rng.integers(-8, 9, shape).astype(dtype)
    if is_float(dtype) or np.dtype(dtype) == C64:
        flat = x.reshape(-1)
        flat[0] = -0.0
        flat[min(2, flat.size - 1)] = np.nan
    return x


def is_float(dtype) -> bool:
    return np.dtype(dtype) in FLOATS


def data(rng, shape, dtype) -> np.ndarray:
    dtype = np.dtype(dtype)
    if dtype == I1:
        return rng.integers(0, 2, shape).astype(bool)
    if dtype == C64:
        return (rng.integers(-8, 9, shape) + 1j * rng.integers(-8, 9, shape)).astype(C64)
    if dtype.kind == "u":
        return rng.integers(0, 200, shape).astype(dtype)
    if dtype.kind == "i":
        return rng.integers(-100, 101, shape).astype(dtype)
    return float_data(rng, shape, dtype)


# --- gather ---------------------------------------------------------------------------

def _dims_text(kind: str, **fields) -> str:
    parts = [f"{k} = [{', '.join(map(str, v))}]" for k, v in fields.items() if k != "index_vector_dim" and v]
    parts.append(f"index_vector_dim = {fields['index_vector_dim']}")
    return f"#stablehlo.{kind}<{', '.join(parts)}>"


def gather_text(operand_type: str, indices_type: str, result_type: str, indices_value: str = "%i", **dims) -> str:
    slice_sizes = dims.pop("slice_sizes")
    numbers = _dims_text(
        "gather",
        offset_dims=dims.get("offset_dims", ()),
        collapsed_slice_dims=dims.get("collapsed", ()),
        operand_batching_dims=dims.get("operand_batching", ()),
        start_indices_batching_dims=dims.get("indices_batching", ()),
        start_index_map=dims["start_index_map"],
        index_vector_dim=dims["index_vector_dim"],
    )
    return (
        f'%r = "stablehlo.gather"(%x, {indices_value}) {{dimension_numbers = {numbers}, '
        f"slice_sizes = array<i64: {', '.join(map(str, slice_sizes))}>}} : ({operand_type}, {indices_type}) -> {result_type}"
    )


def gather_case(name, operand, indices, *, const_indices=False, options=None, **dims) -> Case:
    want = gather_reference(operand, indices, **dims)
    x_t, i_t, r_t = tt(operand.shape, operand.dtype), tt(indices.shape, indices.dtype), tt(want.shape, want.dtype)
    body = [gather_text(x_t, i_t, r_t, **dict(dims))]
    params = [("x", x_t)]
    inputs = [operand]
    if const_indices:
        body.insert(0, constant("i", indices))
    else:
        params.append(("i", i_t))
        inputs.append(indices)
    return value(name, func(params, [r_t], body, ["%r"]), inputs, [want], options=options or {})


ROWS = dict(offset_dims=(1,), collapsed=(0,), start_index_map=(0,), index_vector_dim=1)


def gather_cases() -> Iterator[Case]:
    for t in INTEGERS:
        name = f"gather/rows-{el(t)}"
        rng = rng_for(name)
        i = mixed_indices(rng, t, 10, 1).reshape(-1, 1)
        yield gather_case(name, float_data(rng, (10, 3)), i, slice_sizes=(1, 3), **ROWS)
    for t in (I8, U8, I16):
        # 300 rows: the bound 299 does not fit i8, and saturates to 127.
        name = f"gather/rows300-{el(t)}"
        rng = rng_for(name)
        i = mixed_indices(rng, t, 300, 1).reshape(-1, 1)
        yield gather_case(name, float_data(rng, (300, 2)), i, slice_sizes=(1, 2), **ROWS)
    # Unsigned indices with the top bit set, in bounds: IREE reads indices as
    # signed, so these must not turn negative on the way.
    for t, rows in ((U8, 256), (U16, 40000)):
        name = f"gather/rows{rows}-{el(t)}-top-bit-set"
        rng = rng_for(name)
        top = np.array([rows - 1, rows // 2, rows // 2 + 1, int(np.iinfo(t).max), 0, 1], t)
        yield gather_case(name, float_data(rng, (rows, 2)), top.reshape(-1, 1), slice_sizes=(1, 2), **ROWS)
    for t in (I8, U16, I32, U32, I64, U64):
        name = f"gather/windows-{el(t)}"
        rng = rng_for(name)
        rows, cols = mixed_indices(rng, t, 10, 2), mixed_indices(rng, t, 6, 3)
        n = max(rows.size, cols.size)
        i = np.stack([np.resize(rows, n), rng.permutation(np.resize(cols, n))], axis=1)
        yield gather_case(
            name, float_data(rng, (10, 6)), i,
            offset_dims=(1, 2), start_index_map=(0, 1), index_vector_dim=1, slice_sizes=(2, 3),
        )
    for t in (I16, I64, U64):
        name = f"gather/vector-first-{el(t)}"
        rng = rng_for(name)
        cols, rows = mixed_indices(rng, t, 6, 3), mixed_indices(rng, t, 10, 2)
        n = max(rows.size, cols.size)
        i = np.stack([np.resize(cols, n), rng.permutation(np.resize(rows, n))])
        yield gather_case(
            name, float_data(rng, (10, 6)), i,
            offset_dims=(1, 2), start_index_map=(1, 0), index_vector_dim=0, slice_sizes=(2, 3),
        )
    for t in (I8, U8, I32, I64):
        name = f"gather/implicit-vector-{el(t)}"
        rng = rng_for(name)
        yield gather_case(name, float_data(rng, (10, 3)), mixed_indices(rng, t, 10, 1), slice_sizes=(1, 3), **ROWS)
    for t in (I8, I32, U64):
        name = f"gather/batching-{el(t)}"
        rng = rng_for(name)
        edges = edge_values(t, 10, 1)
        i = np.resize(rng.permutation(np.array(edges, t)), 15).reshape(3, 5, 1)
        yield gather_case(
            name, float_data(rng, (3, 10, 4)), i,
            offset_dims=(2,), collapsed=(1,), operand_batching=(0,), indices_batching=(0,),
            start_index_map=(1,), index_vector_dim=2, slice_sizes=(1, 1, 4),
        )
    for t in (I8, I32, U32, I64, U64):
        # Constant indices: canonicalization sees them before the sandbox does.
        name = f"gather/constant-indices-{el(t)}"
        rng = rng_for(name)
        i = mixed_indices(rng, t, 10, 1, extra=1).reshape(-1, 1)
        yield gather_case(name, float_data(rng, (10, 3)), i, const_indices=True, slice_sizes=(1, 3), **ROWS)
    name = "gather/whole-dimension-slice"
    rng = rng_for(name)
    yield gather_case(
        name, float_data(rng, (10, 3)), mixed_indices(rng, I64, 10, 10).reshape(-1, 1),
        offset_dims=(1, 2), start_index_map=(0,), index_vector_dim=1, slice_sizes=(10, 3),
    )
    name = "gather/empty-operand"
    yield gather_case(
        name, np.zeros((0, 3), F32), np.array([[0], [-1], [5], [2**31 - 1]], I32),
        offset_dims=(1, 2), start_index_map=(0,), index_vector_dim=1, slice_sizes=(0, 3),
    )
    for element in (F16, BF16, F64, I8, U64, I1, C64):
        name = f"gather/elements-{el(element).replace('<', '').replace('>', '')}"
        rng = rng_for(name)
        i = mixed_indices(rng, I32, 10, 1).reshape(-1, 1)
        options = KEEP_F64 if element == F64 else None
        yield gather_case(name, data(rng, (10, 3), element), i, options=options, slice_sizes=(1, 3), **ROWS)


# --- scatter --------------------------------------------------------------------------

# name: (region body on %a (current) and %b (update), its meaning in numpy)
COMBINERS: dict[str, tuple[str, Callable]] = {
    "add": ("%r = stablehlo.add %a, %b : T\nstablehlo.return %r : T", lambda a, b: a + b),
    "add-reversed": ("%r = stablehlo.add %b, %a : T\nstablehlo.return %r : T", lambda a, b: b + a),
    "multiply": ("%r = stablehlo.multiply %a, %b : T\nstablehlo.return %r : T", lambda a, b: a * b),
    "maximum": ("%r = stablehlo.maximum %a, %b : T\nstablehlo.return %r : T", lambda a, b: np.maximum(a, b)),
    "minimum": ("%r = stablehlo.minimum %a, %b : T\nstablehlo.return %r : T", lambda a, b: np.minimum(a, b)),
    "or": ("%r = stablehlo.or %a, %b : T\nstablehlo.return %r : T", lambda a, b: a | b),
    "and": ("%r = stablehlo.and %a, %b : T\nstablehlo.return %r : T", lambda a, b: a & b),
    "xor": ("%r = stablehlo.xor %a, %b : T\nstablehlo.return %r : T", lambda a, b: a ^ b),
    "replace": ("stablehlo.return %b : T", lambda a, b: b),
    "keep": ("stablehlo.return %a : T", lambda a, b: a),
    "subtract": ("%r = stablehlo.subtract %a, %b : T\nstablehlo.return %r : T", lambda a, b: a - b),
    # Combiners that look like a fast-path one but do not use both arguments.
    "double-update": ("%r = stablehlo.add %b, %b : T\nstablehlo.return %r : T", lambda a, b: b + b),
    "double-current": ("%r = stablehlo.add %a, %a : T\nstablehlo.return %r : T", lambda a, b: a + a),
    "affine": (
        "%two = stablehlo.constant dense<2> : T\n%t = stablehlo.multiply %a, %two : T\n"
        "%r = stablehlo.add %t, %b : T\nstablehlo.return %r : T",
        lambda a, b: a * 2 + b,
    ),
    "constant": ("%r = stablehlo.constant dense<7> : T\nstablehlo.return %r : T", lambda a, b: 7),
}
# On booleans add and multiply are or and and (the spec).
BOOL_COMBINE = {"add": lambda a, b: a | b, "multiply": lambda a, b: a & b}


def scatter_text(x_t, i_t, u_t, combiner: str, element, dims: dict, promises: str = "", indices_value="%i") -> str:
    body = COMBINERS[combiner][0].replace("T", tt((), element))
    two, seven = (True, True) if element == I1 else (2, 7)
    body = body.replace("dense<2>", f"dense<{literal(two, element)}>").replace("dense<7>", f"dense<{literal(seven, element)}>")
    numbers = _dims_text(
        "scatter",
        update_window_dims=dims.get("update_window_dims", ()),
        inserted_window_dims=dims.get("inserted", ()),
        input_batching_dims=dims.get("input_batching", ()),
        scatter_indices_batching_dims=dims.get("indices_batching", ()),
        scatter_dims_to_operand_dims=dims["scatter_dims_to_operand_dims"],
        index_vector_dim=dims["index_vector_dim"],
    )
    extra = f", {promises}" if promises else ""
    return (
        f'%r = "stablehlo.scatter"(%x, {indices_value}, %u) ({{\n'
        + textwrap.indent(region("ab", body, element), "  ")
        + f"\n}}) {{scatter_dimension_numbers = {numbers}{extra}}} : ({x_t}, {i_t}, {u_t}) -> {x_t}"
    )


def scatter_case(name, operand, indices, updates, combiner, *, const_indices=False, promises="", options=None, **dims) -> Case:
    element = operand.dtype
    combine = COMBINERS[combiner][1]
    if element == I1:
        combine = BOOL_COMBINE.get(combiner, combine)
        if combiner == "constant":
            combine = lambda a, b: True  # noqa: E731
    with np.errstate(over="ignore"):
        want = scatter_reference([operand], indices, [updates], lambda a, b: (element.type(combine(a, b)),), **dims)[0]
    x_t, i_t, u_t = tt(operand.shape, element), tt(indices.shape, indices.dtype), tt(updates.shape, element)
    body = [scatter_text(x_t, i_t, u_t, combiner, element, dims, promises)]
    params, inputs = [("x", x_t)], [operand]
    if const_indices:
        body.insert(0, constant("i", indices))
    else:
        params.append(("i", i_t))
        inputs.append(indices)
    params.append(("u", u_t))
    inputs.append(updates)
    return value(name, func(params, [x_t], body, ["%r"]), inputs, [want], options=options or {})


SCATTER_ROWS = dict(update_window_dims=(1,), inserted=(0,), scatter_dims_to_operand_dims=(0,), index_vector_dim=1)


def scatter_rows(rng, element, index, rows=10, columns=3):
    """An operand whose first and last rows hold values an identity must not
    change (-0.0 and NaN; the integer extremes), updates, and indices: unique
    valid rows that spare the first and last, and every out-of-bounds edge."""
    x = data(rng, (rows, columns), element)
    if is_float(element):
        x[0], x[-1] = -0.0, np.nan
        x[0, 1], x[-1, 1] = np.nan, -0.0
    elif element.kind in "iu":
        info = np.iinfo(element)
        x[0], x[-1] = info.min, info.max
    inside = rng.permutation(np.arange(1, min(rows - 1, int(np.iinfo(index).max) + 1)))[:6]
    outside = [v for v in edge_values(index, rows) if not 0 <= v < rows]
    i = rng.permutation(np.array(list(inside) + outside, dtype=index)).reshape(-1, 1)
    u = data(rng, (i.shape[0], columns), element)
    return x, i, u


def scatter_cases() -> Iterator[Case]:
    combos = [(c, F32, I32) for c in COMBINERS if c not in ("or", "and", "xor")]
    combos += [(c, I32, I64) for c in ("add", "multiply", "maximum", "minimum", "or", "and", "xor", "replace", "subtract")]
    combos += [(c, I1, U8) for c in ("or", "and", "xor", "add", "multiply", "replace")]
    for combiner, element, index in combos:
        name = f"scatter/{combiner}-{el(element)}-{el(index)}"
        rng = rng_for(name)
        x, i, u = scatter_rows(rng, element, index)
        yield scatter_case(name, x, i, u, combiner, **SCATTER_ROWS)
    for index in INTEGERS:
        if index == I32:
            continue  # add-f32-i32 above
        name = f"scatter/add-f32-{el(index)}"
        rng = rng_for(name)
        yield scatter_case(name, *scatter_rows(rng, F32, index), "add", **SCATTER_ROWS)
    for index in INTEGERS:
        # 200 rows: the general path redirects to row 200, beyond i8 and ui8.
        name = f"scatter/replace-200-rows-{el(index)}"
        rng = rng_for(name)
        yield scatter_case(name, *scatter_rows(rng, F32, index, rows=200), "replace", **SCATTER_ROWS)
    for combiner, t, rows in (("add", U8, 256), ("replace", U8, 256), ("add", U16, 40000), ("replace", U16, 40000)):
        # Valid unsigned indices with the top bit set (IREE reads indices as signed).
        name = f"scatter/{combiner}-{rows}-rows-{el(t)}-top-bit-set"
        rng = rng_for(name)
        x = float_data(rng, (rows, 2))
        i = np.array([rows - 1, rows // 2, rows // 2 + 1, int(np.iinfo(t).max), 0, 1], t).reshape(-1, 1)
        yield scatter_case(name, x, i, float_data(rng, (6, 2)) + 50, combiner, **SCATTER_ROWS)
    for element in (F16, BF16, F64, I8, U8, U64, C64):
        short = el(element).replace("<", "").replace(">", "")
        name = f"scatter/add-{short}-i32"
        rng = rng_for(name)
        yield scatter_case(
            name, *scatter_rows(rng, element, I32), "add",
            options=KEEP_F64 if element == F64 else None, **SCATTER_ROWS,
        )
    cells = dict(inserted=(0, 1), scatter_dims_to_operand_dims=(0, 1), index_vector_dim=1)
    for combiner in ("add", "replace"):
        name = f"scatter/cells-{combiner}"
        rng = rng_for(name)
        x = float_data(rng, (10, 6))
        valid = rng.permutation(60)[:8]
        inside = np.stack([valid // 6, valid % 6], axis=1)
        rows, cols = edge_values(I32, 10), edge_values(I32, 6)
        outside = np.stack([np.resize(rows, 12), rng.integers(0, 6, 12)], axis=1)
        outside[6:, 0] = rng.integers(0, 10, 6)
        outside[6:, 1] = np.resize([c for c in cols if not 0 <= c < 6], 6)
        i = rng.permutation(np.concatenate([inside, outside]).astype(I32))
        u = rng.integers(-8, 9, i.shape[0]).astype(F32)
        yield scatter_case(name, x, i, u, combiner, **cells)
    name = "scatter/vector-first-replace"
    rng = rng_for(name)
    x, i, u = scatter_rows(rng, F32, I16)
    i2 = np.stack([i[:, 0], rng.integers(-3, 9, i.shape[0]).astype(I16)])
    yield scatter_case(
        name, float_data(rng, (10, 6)), i2, u[:, 0], "replace",
        inserted=(0, 1), scatter_dims_to_operand_dims=(0, 1), index_vector_dim=0,
    )
    name = "scatter/implicit-vector-add"
    rng = rng_for(name)
    x, i, u = scatter_rows(rng, I32, I16)
    yield scatter_case(name, x, i[:, 0], u, "add", update_window_dims=(1,), inserted=(0,),
                       scatter_dims_to_operand_dims=(0,), index_vector_dim=1)
    batching = dict(
        update_window_dims=(2,), inserted=(1,), input_batching=(0,), indices_batching=(0,),
        scatter_dims_to_operand_dims=(1,), index_vector_dim=2,
    )
    for combiner, index in (("add", I8), ("replace", I32), ("maximum", U64)):
        name = f"scatter/batching-{combiner}-{el(index)}"
        rng = rng_for(name)
        x = float_data(rng, (3, 10, 4))
        far = np.array([v for v in edge_values(index, 10) if not 0 <= v < 10], dtype=index)
        inside = np.stack([rng.permutation(np.arange(1, 9, dtype=index))[:3] for _ in range(3)])
        outside = np.stack([rng.permutation(far)[:3] for _ in range(3)])
        i = np.concatenate([inside, outside], axis=1)[..., None]
        u = float_data(rng, (3, 6, 4))
        yield scatter_case(name, x, i, u, combiner, **batching)
    name = "scatter/broken-promises"
    # unique_indices and indices_are_sorted claimed, both false: the sandbox
    # must not trust them (a broken promise is undefined behaviour in IREE).
    rng = rng_for(name)
    x = data(rng, (10, 3), I32)
    i = np.array([[7], [2], [7], [-1], [2], [10], [0], [2**31 - 1], [0]], I32)
    u = data(rng, (9, 3), I32)
    yield scatter_case(name, x, i, u, "add", promises="indices_are_sorted = true, unique_indices = true", **SCATTER_ROWS)
    for combiner in ("add", "replace"):
        name = f"scatter/constant-indices-{combiner}"
        rng = rng_for(name)
        yield scatter_case(name, *scatter_rows(rng, F32, I64), combiner, const_indices=True, **SCATTER_ROWS)
    name = "scatter/empty-operand-rows"
    yield scatter_case(
        name, np.zeros((0, 3), F32), np.array([[0], [-1], [3], [2**31 - 1]], I32),
        np.ones((4, 3), F32), "add", **SCATTER_ROWS,
    )
    name = "scatter/empty-window"
    rng = rng_for(name)
    yield scatter_case(
        name, np.zeros((10, 0), F32), np.array([[0], [-1], [9], [10]], I32),
        np.zeros((4, 0), F32), "replace", **SCATTER_ROWS,
    )
    yield rejected(
        "scatter/window-larger-than-operand",
        func(
            [("x", "tensor<10x3xf32>"), ("i", "tensor<2x1xi32>"), ("u", "tensor<2x4xf32>")],
            ["tensor<10x3xf32>"],
            [scatter_text("tensor<10x3xf32>", "tensor<2x1xi32>", "tensor<2x4xf32>", "add", F32, SCATTER_ROWS)],
            ["%r"],
        ),
        "expects bounds of the window dimensions of updates to not exceed the bounds of the corresponding dimensions of operand",
    )


# --- dynamic_slice and dynamic_update_slice --------------------------------------------

def _clamp(v: int, high: int) -> int:
    return min(max(v, 0), high)


def dynamic_slice_cases() -> Iterator[Case]:
    rng = rng_for("dynamic_slice")
    x = float_data(rng, (8, 6))
    update = float_data(rng, (2, 3)) + 100
    for t in INTEGERS:
        rows, cols = edge_values(t, 8, 2), edge_values(t, 6, 3)
        pairs = [(rows[k], cols[-1 - k]) for k in range(0, len(rows), max(1, len(rows) // 3))][:3]
        s = tt((), t)
        slice_text = func(
            [("x", "tensor<8x6xf32>"), ("i", s), ("j", s)], ["tensor<2x3xf32>"],
            [f"%r = stablehlo.dynamic_slice %x, %i, %j, sizes = [2, 3] : (tensor<8x6xf32>, {s}, {s}) -> tensor<2x3xf32>"],
            ["%r"],
        )
        update_text = func(
            [("x", "tensor<8x6xf32>"), ("u", "tensor<2x3xf32>"), ("i", s), ("j", s)], ["tensor<8x6xf32>"],
            [f"%r = stablehlo.dynamic_update_slice %x, %u, %i, %j : (tensor<8x6xf32>, tensor<2x3xf32>, {s}, {s}) -> tensor<8x6xf32>"],
            ["%r"],
        )
        for i, j in pairs:
            a, b = _clamp(i, 6), _clamp(j, 3)
            yield value(f"dynamic_slice/slice-{el(t)}-{i}-{j}", slice_text, [x, t.type(i), t.type(j)], [x[a : a + 2, b : b + 3]])
            want = x.copy()
            want[a : a + 2, b : b + 3] = update
            yield value(f"dynamic_slice/update-{el(t)}-{i}-{j}", update_text, [x, update, t.type(i), t.type(j)], [want])
    for t in (I8, I32, I64, U64):
        i, j = edge_values(t, 8, 2)[-1], edge_values(t, 6, 3)[-3]
        a, b = _clamp(i, 6), _clamp(j, 3)
        s = tt((), t)
        consts = [constant("i", np.array(i, t)), constant("j", np.array(j, t))]
        yield value(
            f"dynamic_slice/constant-slice-{el(t)}",
            func([("x", "tensor<8x6xf32>")], ["tensor<2x3xf32>"], consts + [
                f"%r = stablehlo.dynamic_slice %x, %i, %j, sizes = [2, 3] : (tensor<8x6xf32>, {s}, {s}) -> tensor<2x3xf32>"
            ], ["%r"]),
            [x], [x[a : a + 2, b : b + 3]],
        )
        want = x.copy()
        want[a : a + 2, b : b + 3] = update
        yield value(
            f"dynamic_slice/constant-update-{el(t)}",
            func([("x", "tensor<8x6xf32>"), ("u", "tensor<2x3xf32>")], ["tensor<8x6xf32>"], consts + [
                f"%r = stablehlo.dynamic_update_slice %x, %u, %i, %j : (tensor<8x6xf32>, tensor<2x3xf32>, {s}, {s}) -> tensor<8x6xf32>"
            ], ["%r"]),
            [x, update], [want],
        )
    for t, rows in ((U8, 256), (U16, 40000)):
        # Valid starts with the top bit set; the last one is beyond the bound.
        y = float_data(rng, (rows, 2))
        s_t, x_t = tt((), t), tt((rows, 2), F32)
        text = func([("x", x_t), ("i", s_t), ("j", s_t)], ["tensor<2x2xf32>"], [
            f"%r = stablehlo.dynamic_slice %x, %i, %j, sizes = [2, 2] : ({x_t}, {s_t}, {s_t}) -> tensor<2x2xf32>"], ["%r"])
        for start in (rows // 2, rows - 2, int(np.iinfo(t).max)):
            a = _clamp(start, rows - 2)
            yield value(f"dynamic_slice/slice-{rows}-rows-{el(t)}-{start}", text, [y, t.type(start), t.type(0)], [y[a : a + 2]])
    yield from _loop_index_cases()


def _counted_slice_loop(name, counter, start, end, step, rows, index_expr="%i", wrap_in_if=False) -> Case:
    """Sums dynamic_slice(x, index, 0) (one row) over a loop whose counter
    runs from `start` while < `end`, by `step`: a counted loop when step is
    1 (the sandbox may then know the counter's range)."""
    rng = rng_for(name)
    x = rng.integers(-8, 9, (rows, 2)).astype(F32)
    c = tt((), counter)
    index_ops = {"%i": "", "%i+5": f"%five = stablehlo.constant dense<5> : {c}\n%k = stablehlo.add %i, %five : {c}"}
    index_value = "%i" if index_expr == "%i" else "%k"
    row = f"%row = stablehlo.dynamic_slice %x, {index_value}, %z, sizes = [1, 2] : (tensor<{rows}x2xf32>, {c}, {c}) -> tensor<1x2xf32>"
    slice_ops = f"{index_ops[index_expr]}\n{row}"
    if wrap_in_if:
        slice_ops = (
            f"%p = stablehlo.compare GE, %i, %start, SIGNED : ({c}, {c}) -> tensor<i1>\n"
            f'%row = "stablehlo.if"(%p) ({{\n'
            + textwrap.indent(f"{index_ops[index_expr]}\n" + row.replace("%row =", "%inner ="), "  ")
            + "\n  stablehlo.return %inner : tensor<1x2xf32>\n}, {\n"
            "  %zeros = stablehlo.constant dense<0.0> : tensor<1x2xf32>\n  stablehlo.return %zeros : tensor<1x2xf32>\n"
            "}) : (tensor<i1>) -> tensor<1x2xf32>"
        )
    compare = "UNSIGNED" if counter.kind == "u" else "SIGNED"
    body = [
        constant("start", np.array(start, counter)),
        constant("z", np.array(0, counter)),
        constant("step", np.array(step, counter)),
        "%acc0 = stablehlo.constant dense<0.0> : tensor<1x2xf32>",
        f"""%w:2 = stablehlo.while(%i = %start, %acc = %acc0) : {c}, tensor<1x2xf32>
  cond {{
    %end = stablehlo.constant dense<{end}> : {c}
    %lt = stablehlo.compare LT, %i, %end, {compare} : ({c}, {c}) -> tensor<i1>
    stablehlo.return %lt : tensor<i1>
  }} do {{
{textwrap.indent(slice_ops, "    ")}
    %sum = stablehlo.add %acc, %row : tensor<1x2xf32>
    %next = stablehlo.add %i, %step : {c}
    stablehlo.return %next, %sum : {c}, tensor<1x2xf32>
  }}""",
    ]
    want = np.zeros((1, 2), F32)
    offset = 5 if index_expr == "%i+5" else 0
    bound = min(rows - 1, int(np.iinfo(counter).max))
    for i in range(start, end, step):
        k = _clamp(wrap(i + offset, counter), bound)
        want += x[k : k + 1]
    return value(name, func([("x", f"tensor<{rows}x2xf32>")], ["tensor<1x2xf32>"], body, ["%w#1"]), [x], [want])


def _loop_index_cases() -> Iterator[Case]:
    """Loop counters as indices: the sandbox leaves an index alone only when
    a counted loop's range proves it in bounds."""
    yield _counted_slice_loop("dynamic_slice/loop-counter-past-the-end", I32, 0, 12, 1, rows=8)
    yield _counted_slice_loop("dynamic_slice/loop-counter-from-negative", I32, -3, 5, 1, rows=8)
    yield _counted_slice_loop("dynamic_slice/loop-counter-i8-300-rows", I8, 0, 127, 1, rows=300)
    yield _counted_slice_loop("dynamic_slice/loop-counter-i8-100-rows", I8, -128, 127, 1, rows=100)
    yield _counted_slice_loop("dynamic_slice/loop-counter-ui32", U32, 0, 12, 1, rows=8)
    yield _counted_slice_loop("dynamic_slice/loop-counter-step-2", I32, 0, 20, 2, rows=8)
    yield _counted_slice_loop("dynamic_slice/loop-counter-plus-5", I32, 0, 8, 1, rows=8, index_expr="%i+5")
    yield _counted_slice_loop("dynamic_slice/loop-counter-in-branch", I32, 0, 12, 1, rows=8, wrap_in_if=True)


# --- integer division and shifts --------------------------------------------------------

def divide_reference(a: int, b: int, dtype) -> tuple[int, int]:
    """x / 0 = -1 (all bits set), x % 0 = x, INT_MIN / -1 = INT_MIN,
    INT_MIN % -1 = 0; otherwise C's truncating division."""
    if b == 0:
        return wrap(-1, dtype), a
    quotient = abs(a) // abs(b) * (1 if (a < 0) == (b < 0) else -1)
    return wrap(quotient, dtype), a - b * quotient


def shift_reference(op: str, x: int, amount: int, dtype) -> int:
    """The amount read as unsigned; at least the bit width gives 0, or the
    sign fill for shift_right_arithmetic."""
    bits = np.iinfo(dtype).bits
    pattern = x % (1 << bits)
    signed = pattern - (1 << bits) if pattern >> (bits - 1) else pattern
    n = amount % (1 << bits)
    if op == "shift_right_arithmetic":
        return wrap(signed >> min(n, bits - 1), dtype)
    if n >= bits:
        return 0
    return wrap(pattern << n if op == "shift_left" else pattern >> n, dtype)


def integer_edges(dtype) -> list[int]:
    info = np.iinfo(dtype)
    lo, hi = int(info.min), int(info.max)
    return sorted({0, 1, 2, 7, hi, hi - 1, lo, lo + 1, wrap(-1, dtype), wrap(-7, dtype)})


def shift_amounts(dtype) -> list[int]:
    bits = np.iinfo(dtype).bits
    return sorted({wrap(n, dtype) for n in (0, 1, bits - 1, bits, bits + 1, 2 * bits, 255, -1, -bits, 1 << (bits - 1))})


def elementwise(name, ops, operands: list[np.ndarray], wants, constants=False, **kwargs) -> Case:
    """`ops`: (op text on %a, %b, ...; result dtype). Operands are arguments,
    or constants when `constants`."""
    n = operands[0].shape
    names = "abcdefgh"[: len(operands)]
    params = [] if constants else [(k, tt(x.shape, x.dtype)) for k, x in zip(names, operands)]
    body = [constant(k, x) for k, x in zip(names, operands)] if constants else []
    body += [f"%r{k} = {op}" for k, (op, _) in enumerate(ops)]
    results = [tt(n, dtype) for _, dtype in ops]
    text = func(params, results, body, [f"%r{k}" for k in range(len(ops))])
    return value(name, text, [] if constants else operands, wants, **kwargs)


def integer_cases() -> Iterator[Case]:
    for t in INTEGERS:
        edges = integer_edges(t)
        pairs = [(a, b) for a in edges for b in edges]
        for form in ("arguments", "constants"):
            name = f"integer/divide-{el(t)}-{form}"
            rng = rng_for(name)
            if form == "arguments":
                info = np.iinfo(t)
                numerators = rng.integers(info.min, info.max, 40, dtype=t, endpoint=True)
                divisors = rng.integers(0 if t.kind == "u" else -9, 10, 40)
                pairs += [(int(x), int(y)) for x, y in zip(numerators, divisors)]
            a = np.array([p[0] for p in pairs], t)
            b = np.array([p[1] for p in pairs], t)
            refs = [divide_reference(int(x), int(y), t) for x, y in zip(a, b)]
            ty = tt(a.shape, t)
            yield elementwise(
                name,
                [(f"stablehlo.divide %a, %b : {ty}", t), (f"stablehlo.remainder %a, %b : {ty}", t)],
                [a, b],
                [np.array([q for q, _ in refs], t), np.array([r for _, r in refs], t)],
                constants=form == "constants",
            )
    for t in (I8, I32, U32, I64):
        # A constant divisor of 0 or -1 with a data numerator: folding patterns
        # see a splat divisor.
        for divisor in (0, -1) if t.kind == "i" else (0,):
            name = f"integer/divide-{el(t)}-by-constant-{divisor}"
            a = np.array(integer_edges(t), t)
            ty = tt(a.shape, t)
            refs = [divide_reference(int(x), divisor, t) for x in a]
            body = [
                f"%d = stablehlo.constant dense<{divisor}> : {ty}",
                f"%q = stablehlo.divide %a, %d : {ty}",
                f"%m = stablehlo.remainder %a, %d : {ty}",
            ]
            yield value(
                name, func([("a", ty)], [ty, ty], body, ["%q", "%m"]), [a],
                [np.array([q for q, _ in refs], t), np.array([r for _, r in refs], t)],
            )
    lo, x, hi = (np.array(v, I32) for v in ([5, 5, 0, -3, 2**31 - 1], [3, 9, 1, -9, 0], [2, 2, 0, -5, -(2**31)]))
    yield elementwise(
        "integer/clamp-min-above-max",  # the spec: min(max(x, min), max)
        [("stablehlo.clamp %a, %b, %c : tensor<5xi32>", I32)], [lo, x, hi], [np.minimum(np.maximum(x, lo), hi)],
    )
    shifts = ("shift_left", "shift_right_logical", "shift_right_arithmetic")
    for t in INTEGERS:
        values = integer_edges(t) + [5, wrap(-5, t)]
        pairs = [(x, n) for x in dict.fromkeys(values) for n in shift_amounts(t)]
        x = np.array([p[0] for p in pairs], t)
        n = np.array([p[1] for p in pairs], t)
        ty = tt(x.shape, t)
        for form in ("arguments", "constants"):
            yield elementwise(
                f"integer/shift-{el(t)}-{form}",
                [(f"stablehlo.{op} %a, %b : {ty}", t) for op in shifts],
                [x, n],
                [np.array([shift_reference(op, int(p), int(q), t) for p, q in zip(x, n)], t) for op in shifts],
                constants=form == "constants",
            )
    for t in (I8, U16, I32, U64):
        amount = wrap(200, t) if np.iinfo(t).bits > 8 else wrap(-3, t)
        x = np.array(integer_edges(t), t)
        ty = tt(x.shape, t)
        body = [f"%n = stablehlo.constant dense<{amount}> : {ty}"] + [f"%r{k} = stablehlo.{op} %a, %n : {ty}" for k, op in enumerate(shifts)]
        yield value(
            f"integer/shift-{el(t)}-by-constant-{amount}",
            func([("a", ty)], [ty] * 3, body, ["%r0", "%r1", "%r2"]),
            [x],
            [np.array([shift_reference(op, int(p), amount, t) for p in x], t) for op in shifts],
        )


# --- float to integer -------------------------------------------------------------------




def _neighbours(v: float, dtype) -> list[np.ndarray]:
    """v as `dtype`, and the values of `dtype` just below and above it."""
    a = np.array([v], dtype)
    bits = a.view(f"u{a.itemsize}")
    return [a, (bits - 1).view(dtype), (bits + 1).view(dtype)]


def float_edges(dtype) -> np.ndarray:
    """NaN, infinities, zeros, halves, the largest finite values, and every
    integer type's bounds with their neighbours."""
    finfo = ml_dtypes.finfo(dtype)
    parts = [np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 0.5, -0.5, 1.5, -1.5, -1.0, 255.5, 256.0], dtype)]
    with np.errstate(over="ignore"):
        for v in (float(finfo.max), float(finfo.smallest_subnormal)):
            parts += _neighbours(v, dtype) + _neighbours(-v, dtype)
        for bits in (7, 8, 15, 16, 31, 32, 63, 64):
            parts += _neighbours(2.0**bits, dtype) + _neighbours(-(2.0**bits), dtype)
    return np.concatenate(parts)


def float_to_int_cases() -> Iterator[Case]:
    for source in FLOATS:
        x = float_edges(source)
        values = [float(v) for v in x.astype(F64)]
        options = KEEP_F64 if source == F64 else {}
        for target in INTEGERS:
            yield elementwise(
                f"float_to_int/{el(source)}-to-{el(target)}",
                [(f"stablehlo.convert %a : ({tt(x.shape, source)}) -> {tt(x.shape, target)}", target)],
                [x],
                [np.array([convert_reference(v, target) for v in values], target)],
                options=options,
            )
        x = x[:13]  # the special values, as constants that folding sees first
        values = values[:13]
        yield elementwise(
            f"float_to_int/{el(source)}-constants",
            [(f"stablehlo.convert %a : ({tt(x.shape, source)}) -> {tt(x.shape, t)}", t) for t in (I32, U8, I64)],
            [x],
            [np.array([convert_reference(v, t) for v in values], t) for t in (I32, U8, I64)],
            constants=True,
            options=options,
        )
    real = np.array([np.nan, np.inf, -np.inf, 1e20, -1e20, -0.0, 2.5, -2.5, 300.0], F32)
    z = np.zeros(real.shape, C64)
    z.real, z.imag = real, np.array([1e30, -1, np.nan, 0, 5, np.inf, 0, 1, 2], F32)
    t = tt(z.shape, C64)
    yield elementwise(
        "float_to_int/complex-real-part",
        [(f"stablehlo.convert %a : ({t}) -> {tt(z.shape, target)}", target) for target in (I32, U8)],
        [z],
        [np.array([convert_reference(float(v), target) for v in real], target) for target in (I32, U8)],
    )
    x = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -2.0], F32)
    yield elementwise(
        "float_to_int/to-bool",
        [(f"stablehlo.convert %a : ({tt(x.shape, F32)}) -> {tt(x.shape, I1)}", I1)],
        [x],
        [np.array([True, True, True, False, False, True, True])],
    )


# --- booleans ---------------------------------------------------------------------------

def boolean_cases() -> Iterator[Case]:
    a = np.array([True, True, False, False])
    b = np.array([True, False, True, False])
    t = tt((4,), I1)
    ops = [(f"stablehlo.add %a, %b : {t}", I1), (f"stablehlo.multiply %a, %b : {t}", I1)]
    for form in ("arguments", "constants"):
        yield elementwise(f"boolean/add-multiply-{form}", ops, [a, b], [a | b, a & b], constants=form == "constants")
    x = np.array([[True, True, False], [False, False, False], [True, True, True]])
    xt = tt(x.shape, I1)
    for op, want in (("add", x.any(axis=1)), ("multiply", x.all(axis=1))):
        yield value(
            f"boolean/reduce-{op}",
            func([("x", xt)], [tt((3,), I1)], [
                "%init = stablehlo.constant dense<false> : tensor<i1>" if op == "add" else "%init = stablehlo.constant dense<true> : tensor<i1>",
                f"%r = stablehlo.reduce(%x init: %init) applies stablehlo.{op} across dimensions = [1] : ({xt}, tensor<i1>) -> tensor<3xi1>",
            ], ["%r"]),
            [x], [want],
        )
    m = np.array([[True, True], [True, False]])
    yield value(
        "boolean/dot-general",
        func([("a", "tensor<2x2xi1>"), ("b", "tensor<2x2xi1>")], ["tensor<2x2xi1>"], [
            "%r = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<2x2xi1>, tensor<2x2xi1>) -> tensor<2x2xi1>"
        ], ["%r"]),
        [m, m], [(m[:, :, None] & m[None, :, :]).any(axis=1)],
    )
    w = np.array([True, True, False, True, True, True])
    yield value(
        "boolean/reduce-window-add",
        func([("x", "tensor<6xi1>")], ["tensor<5xi1>"], [
            "%init = stablehlo.constant dense<false> : tensor<i1>",
            '%r = "stablehlo.reduce_window"(%x, %init) ({\n'
            + textwrap.indent(region("ab", "%s = stablehlo.add %a, %b : tensor<i1>\nstablehlo.return %s : tensor<i1>", I1), "  ")
            + "\n}) {window_dimensions = array<i64: 2>} : (tensor<6xi1>, tensor<i1>) -> tensor<5xi1>",
        ], ["%r"]),
        [w], [w[:-1] | w[1:]],
    )
    yield rejected(
        "boolean/divide",
        func([("a", t), ("b", t)], [t], [f"%r = stablehlo.divide %a, %b : {t}"], ["%r"]),
        "must be ranked tensor of 2/4/8/16/32/64-bit integer",
    )
    yield rejected(
        "boolean/subtract",
        func([("a", t), ("b", t)], [t], [f"%r = stablehlo.subtract %a, %b : {t}"], ["%r"]),
        "'stablehlo.subtract' op operand #0 must be ranked tensor of 2/4/8/16/32/64-bit integer",
    )


# --- loops and the iteration budget ------------------------------------------------------

def while_text(result: str, carried, cond: str, body: str, yields: list[str]) -> str:
    """`%result = stablehlo.while(carried)` with `cond` (its last value %c is
    the condition) and `body` (then `return yields`); `carried` is
    (name, initial value, type) triples."""
    types = ", ".join(t for _, _, t in carried)
    count = f":{len(carried)}" if len(carried) > 1 else ""
    inits = ", ".join(f"%{n} = {v}" for n, v, _ in carried)
    return (
        f"%{result}{count} = stablehlo.while({inits}) : {types}\n"
        f"  cond {{\n{textwrap.indent(textwrap.dedent(cond).strip(), '    ')}\n    stablehlo.return %c : tensor<i1>\n  }}"
        f" do {{\n{textwrap.indent(textwrap.dedent(body).strip(), '    ')}\n"
        f"    stablehlo.return {', '.join(yields)} : {types}\n  }}"
    )


INFINITE = """
%t_{tag} = stablehlo.constant dense<true> : tensor<i1>
{result} = stablehlo.while(%v_{tag} = {init}) : tensor<i32>
  cond {{
    stablehlo.return %t_{tag} : tensor<i1>
  }} do {{
    %one_{tag} = stablehlo.constant dense<1> : tensor<i32>
    %v2_{tag} = stablehlo.add %v_{tag}, %one_{tag} : tensor<i32>
    stablehlo.return %v2_{tag} : tensor<i32>
  }}
"""


def infinite(result: str, init: str) -> str:
    """An i32 loop whose condition is the constant true."""
    return INFINITE.format(result=result, init=init, tag=result.strip("%")).strip()


def counted(result: str, counter, start: int, end: int, acc_init: str, acc_step: str = "%acc2 = stablehlo.add %acc, %acc : tensor<4xf32>") -> str:
    """A counted loop (the form JAX's scan and fori_loop take): a counter
    from a constant, compared `<` with a constant, stepping by one."""
    c = tt((), counter)
    compare = "UNSIGNED" if np.dtype(counter).kind == "u" else "SIGNED"
    return f"%start_{result} = stablehlo.constant dense<{start}> : {c}\n" + while_text(
        result,
        [("i", f"%start_{result}", c), ("acc", acc_init, "tensor<4xf32>")],
        f"%end = stablehlo.constant dense<{end}> : {c}\n%c = stablehlo.compare LT, %i, %end, {compare} : ({c}, {c}) -> tensor<i1>",
        f"%one = stablehlo.constant dense<1> : {c}\n{acc_step}\n%next = stablehlo.add %i, %one : {c}",
        ["%next", "%acc2"],
    )


X4 = ("x", "tensor<4xf32>")
ONES = np.ones(4, F32)
SCALAR_I32 = tt((), I32)


def loop_cases() -> Iterator[Case]:
    yield budget(
        "loops/infinite",
        func([("n", SCALAR_I32)], [SCALAR_I32], [infinite("%r", "%n")], ["%r"]),
        [np.int32(0)], fuel=Iterations(2000),
    )
    # A trip count from the data: the budget is exact, iteration by iteration.
    runtime = func([("n", SCALAR_I32)], [SCALAR_I32], [
        "%zero = stablehlo.constant dense<0> : tensor<i32>",
        while_text(
            "r", [("i", "%zero", SCALAR_I32)],
            "%c = stablehlo.compare LT, %i, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
            "%one = stablehlo.constant dense<1> : tensor<i32>\n%next = stablehlo.add %i, %one : tensor<i32>",
            ["%next"],
        ),
    ], ["%r"])
    yield budget("loops/trip-count-int-max", runtime, [np.int32(2**31 - 1)], fuel=Iterations(2000))
    yield value("loops/trip-count-100-exact-budget", runtime, [np.int32(100)], [np.int32(100)], fuel=Iterations((100,)))
    yield budget("loops/trip-count-100-one-unit-short", runtime, [np.int32(100)], fuel=Iterations((100,), short=1))
    yield value("loops/trip-count-0-no-iterations", runtime, [np.int32(0)], [np.int32(0)], fuel=Iterations((0,)))
    yield value("loops/trip-count-negative", runtime, [np.int32(-(2**31))], [np.int32(0)], fuel=Iterations((0,)))
    yield budget(
        "loops/float-counter-stalls",  # x + 1 == x from 2^24 on: never reaches 1e30
        func([("x", "tensor<f32>")], ["tensor<f32>"], [while_text(
            "r", [("v", "%x", "tensor<f32>")],
            "%big = stablehlo.constant dense<1.0e30> : tensor<f32>\n%c = stablehlo.compare LT, %v, %big, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>",
            "%one = stablehlo.constant dense<1.0> : tensor<f32>\n%v2 = stablehlo.add %v, %one : tensor<f32>",
            ["%v2"],
        )], ["%r"]),
        [np.float32(2.0**24)], fuel=Iterations(2000),
    )
    nan_loop = func([("x", "tensor<f32>")], ["tensor<f32>"], [while_text(
        "r", [("v", "%x", "tensor<f32>")],
        "%c = stablehlo.compare NE, %v, %v, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>",
        "%v2 = stablehlo.add %v, %v : tensor<f32>",
        ["%v2"],
    )], ["%r"])
    yield budget("loops/nan-is-never-itself", nan_loop, [np.float32(np.nan)], fuel=Iterations(2000))
    yield value("loops/nan-is-never-itself-number", nan_loop, [np.float32(1.5)], [np.float32(1.5)], fuel=Iterations((0,)))
    yield budget(
        "loops/infinite-inside-counted",
        func([X4], ["tensor<4xf32>"], [counted("r", I32, 0, 10, "%x", acc_step=(
            "%zero = stablehlo.constant dense<0> : tensor<i32>\n" + infinite("%inner", "%zero")
            + "\n%f = stablehlo.convert %inner : (tensor<i32>) -> tensor<f32>"
            + "\n%fs = stablehlo.broadcast_in_dim %f, dims = [] : (tensor<f32>) -> tensor<4xf32>"
            + "\n%acc2 = stablehlo.add %acc, %fs : tensor<4xf32>"
        ))], ["%r#1"]),
        [ONES], fuel=Iterations(2000),
    )
    nested = func([("n", SCALAR_I32)], [SCALAR_I32], [
        "%zero = stablehlo.constant dense<0> : tensor<i32>",
        while_text(
            "outer", [("i", "%zero", SCALAR_I32), ("total", "%zero", SCALAR_I32)],
            "%c = stablehlo.compare LT, %i, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
            "%one = stablehlo.constant dense<1> : tensor<i32>\n"
            + while_text(
                "inner", [("j", "%zero", SCALAR_I32), ("t", "%total", SCALAR_I32)],
                "%c = stablehlo.compare LT, %j, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
                "%one1 = stablehlo.constant dense<1> : tensor<i32>\n%j2 = stablehlo.add %j, %one1 : tensor<i32>\n%t2 = stablehlo.add %t, %one1 : tensor<i32>",
                ["%j2", "%t2"],
            )
            + "\n%next = stablehlo.add %i, %one : tensor<i32>",
            ["%next", "%inner#1"],
        ),
    ], ["%outer#1"])
    yield budget("loops/nested-2^20-by-2^20", nested, [np.int32(2**20)], fuel=Iterations(5000))
    yield value("loops/nested-exact-budget", nested, [np.int32(10)], [np.int32(100)], fuel=Iterations((10, 100)))
    yield budget("loops/nested-one-short", nested, [np.int32(10)], fuel=Iterations((10, 100), short=1))
    branch = func([("p", "tensor<i1>"), ("n", SCALAR_I32)], [SCALAR_I32], [
        '%r = "stablehlo.if"(%p) ({\n' + textwrap.indent(infinite("%w", "%n") + "\nstablehlo.return %w : tensor<i32>", "  ")
        + "\n}, {\n  stablehlo.return %n : tensor<i32>\n}) : (tensor<i1>) -> tensor<i32>",
    ], ["%r"])
    yield budget("loops/in-taken-branch", branch, [np.bool_(True), np.int32(3)], fuel=Iterations(2000))
    yield value("loops/in-branch-not-taken", branch, [np.bool_(False), np.int32(3)], [np.int32(3)], fuel=Iterations((0,)))
    case = func([("k", SCALAR_I32), ("n", SCALAR_I32)], [SCALAR_I32], [
        '%r = "stablehlo.case"(%k) ({\n  stablehlo.return %n : tensor<i32>\n}, {\n'
        + textwrap.indent(infinite("%w", "%n") + "\nstablehlo.return %w : tensor<i32>", "  ")
        + "\n}) : (tensor<i32>) -> tensor<i32>",
    ], ["%r"])
    yield value("loops/case-branch-0", case, [np.int32(0), np.int32(7)], [np.int32(7)], fuel=Iterations((0,)))
    for k in (1, -7, 2**31 - 1):
        # An index out of range takes the last branch (the spec): the loop.
        yield budget(f"loops/case-branch-{k}", case, [np.int32(k), np.int32(7)], fuel=Iterations(2000))
    # Counted loops are charged their trip count up front: these end at once,
    # with the default budget, instead of running for hours.
    huge = [
        ("i32-2^31", I32, 0, 2**31 - 1),
        ("ui32-2^32", U32, 0, 2**32 - 1),
        ("i64-2^40", I64, 0, 2**40),
        ("i64-2^63", I64, -(2**62), 2**62),
        ("i64-full-range", I64, -(2**63), 2**63 - 1),
        ("ui64-full-range", U64, 0, 2**64 - 1),
    ]
    for label, counter, start, end in huge:
        yield budget(
            f"loops/counted-{label}",
            func([X4], ["tensor<4xf32>"], [counted("r", counter, start, end, "%x")], ["%r#1"]),
            [ONES], timeout=20,
        )
    for label, count, copies in (("3x2^62", 2**62, 3), ("2x2^63", 2**63 - 1, 2)):
        # Each loop that the budget cannot cover is skipped, and the call
        # must still fail: what is charged for them must not wrap around.
        body = [counted(f"r{k}", I64, 0, count, "%x" if k == 0 else f"%r{k - 1}#1") for k in range(copies)]
        yield budget(
            f"loops/counted-{label}-in-sequence",
            func([X4], ["tensor<4xf32>"], body, [f"%r{copies - 1}#1"]),
            [ONES], timeout=20,
        )
    many = func([X4], ["tensor<4xf32>"], [
        counted(f"r{k}", I32, 0, 5000, "%x" if k == 0 else f"%r{k - 1}#1", acc_step="%acc2 = stablehlo.multiply %acc, %acc : tensor<4xf32>")
        for k in range(30)
    ], ["%r29#1"])
    yield budget("loops/30-counted-loops-fuel-10", many, [ONES], fuel=10)
    # Counted loops in the function's body are paid up front, with the rest
    # of its loop-free work: no counts, the up-front price is the budget.
    yield value("loops/30-counted-loops-exact-budget", many, [ONES], [ONES], fuel=Iterations(()))
    yield budget("loops/30-counted-loops-one-unit-short", many, [ONES], fuel=Iterations((), short=1))
    exact = func([X4], ["tensor<4xf32>"], [counted("r", I32, 0, 100, "%x", acc_step="%acc2 = stablehlo.add %acc, %acc : tensor<4xf32>")], ["%r#1"])
    yield value("loops/counted-100-exact-budget", exact, [ONES], [ONES * 2.0**100], fuel=Iterations(()))
    yield budget("loops/counted-100-one-unit-short", exact, [ONES], fuel=Iterations((), short=1))
    yield value(
        "loops/counted-zero-trips",
        func([X4], ["tensor<4xf32>"], [counted("r", I32, 5, -5, "%x")], ["%r#1"]),
        [ONES], [ONES], fuel=Iterations(()),
    )
    # fori_loop with a bound from the caller: charged on entry, and its limit
    # lowered to what the budget covers, so a huge bound ends at once.
    bounded = func([X4, ("n", SCALAR_I32)], ["tensor<4xf32>"], [
        "%zero = stablehlo.constant dense<0> : tensor<i32>",
        while_text(
            "r", [("i", "%zero", SCALAR_I32), ("m", "%n", SCALAR_I32), ("acc", "%x", "tensor<4xf32>")],
            "%c = stablehlo.compare LT, %i, %m, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
            "%one = stablehlo.constant dense<1> : tensor<i32>\n%i2 = stablehlo.add %i, %one : tensor<i32>\n"
            "%acc2 = stablehlo.add %acc, %acc : tensor<4xf32>",
            ["%i2", "%m", "%acc2"],
        ),
    ], ["%r#2"])
    yield value("loops/bounded-10-exact-budget", bounded, [ONES, np.int32(10)], [ONES * 1024.0], fuel=Iterations((10,)))
    yield budget("loops/bounded-10-one-unit-short", bounded, [ONES, np.int32(10)], fuel=Iterations((10,), short=1))
    yield value("loops/bounded-negative-no-iterations", bounded, [ONES, np.int32(-5)], [ONES], fuel=Iterations((0,)))
    yield budget("loops/bounded-2^31-1", bounded, [ONES, np.int32(2**31 - 1)], fuel=Iterations(1000), timeout=20)
    # An UNSIGNED compare of signless i32 reads the constant -1 as 2^32 - 1:
    # not a counted loop of zero trips, but four billion iterations.
    unsigned_compare = func([X4], ["tensor<4xf32>"], [
        "%zero = stablehlo.constant dense<0> : tensor<i32>",
        while_text(
            "r", [("i", "%zero", SCALAR_I32), ("acc", "%x", "tensor<4xf32>")],
            "%minus1 = stablehlo.constant dense<-1> : tensor<i32>\n"
            "%c = stablehlo.compare LT, %i, %minus1, UNSIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
            "%one = stablehlo.constant dense<1> : tensor<i32>\n%i2 = stablehlo.add %i, %one : tensor<i32>\n"
            "%acc2 = stablehlo.add %acc, %acc : tensor<4xf32>",
            ["%i2", "%acc2"],
        ),
    ], ["%r#1"])
    yield budget("loops/unsigned-compare-of-signless-minus-1", unsigned_compare, [ONES], fuel=Iterations(1000), timeout=20)
    wrapping = func([], [SCALAR_I32], [
        "%one8 = stablehlo.constant dense<1> : tensor<i8>",
        "%zero = stablehlo.constant dense<0> : tensor<i32>",
        while_text(
            "r", [("b", "%one8", "tensor<i8>"), ("n", "%zero", SCALAR_I32)],
            "%z = stablehlo.constant dense<0> : tensor<i8>\n%c = stablehlo.compare NE, %b, %z, SIGNED : (tensor<i8>, tensor<i8>) -> tensor<i1>",
            "%o = stablehlo.constant dense<1> : tensor<i8>\n%b2 = stablehlo.add %b, %o : tensor<i8>\n"
            "%o32 = stablehlo.constant dense<1> : tensor<i32>\n%n2 = stablehlo.add %n, %o32 : tensor<i32>",
            ["%b2", "%n2"],
        ),
    ], ["%r#1"])
    yield value("loops/i8-counter-wraps-to-zero", wrapping, [], [np.int32(255)], fuel=Iterations((255,)))
    yield budget("loops/i8-counter-wraps-one-short", wrapping, [], fuel=Iterations((255,), short=1))
    deep = ["%zero = stablehlo.constant dense<0> : tensor<i32>"]
    text = "%one = stablehlo.constant dense<1> : tensor<i32>\n%t8 = stablehlo.add %t7, %one : tensor<i32>"
    result = "%t8"
    for d in range(7, -1, -1):
        text = while_text(
            f"l{d}", [(f"i{d}", "%zero", SCALAR_I32), (f"t{d}", f"%t{d - 1}" if d else "%zero", SCALAR_I32)],
            f"%c = stablehlo.compare LT, %i{d}, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
            f"{text}\n%o{d} = stablehlo.constant dense<1> : tensor<i32>\n%j{d} = stablehlo.add %i{d}, %o{d} : tensor<i32>",
            [f"%j{d}", result],
        )
        result = f"%l{d}#1"
    yield budget(
        "loops/8-deep-nest",
        func([("n", SCALAR_I32)], [SCALAR_I32], deep + [text], ["%l0#1"]),
        [np.int32(1000)], fuel=Iterations(3000),
    )
    # The budget counts work, not iterations: under the default budget
    # (about ten seconds of CPU work), each of these stops within that bound.
    # Before it did, a 512^3 matmul per iteration ran for hours on the
    # default budget of a million iterations.
    matrix = tt((512, 512), F32)
    dots = func([("x", matrix), ("n", SCALAR_I32)], [matrix], [
        "%zero = stablehlo.constant dense<0> : tensor<i32>",
        while_text(
            "r", [("i", "%zero", SCALAR_I32), ("acc", "%x", matrix)],
            "%c = stablehlo.compare LT, %i, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
            "%one = stablehlo.constant dense<1> : tensor<i32>\n%i2 = stablehlo.add %i, %one : tensor<i32>\n"
            f"%acc2 = stablehlo.dot_general %acc, %x, contracting_dims = [1] x [0] : ({matrix}, {matrix}) -> {matrix}",
            ["%i2", "%acc2"],
        ),
    ], ["%r#1"])
    yield budget("loops/work-512-matmul-per-iteration", dots, [np.eye(512, dtype=F32), np.int32(10**6)], timeout=90)
    yield budget(
        "loops/work-infinite-default-budget",
        func([("n", SCALAR_I32)], [SCALAR_I32], [infinite("%r", "%n")], ["%r"]), [np.int32(0)], timeout=90,
    )
    big = tt((1 << 20,), F32)
    yield budget(
        "loops/work-infinite-2^20-add",
        func([("x", big)], [big], [while_text(
            "r", [("v", "%x", big)],
            "%c = stablehlo.constant dense<true> : tensor<i1>",
            f"%v2 = stablehlo.add %v, %v : {big}",
            ["%v2"],
        )], ["%r"]),
        [np.ones(1 << 20, F32)], timeout=90,
    )
    # Loop-free work pays up front: six chained 4096^3 matmuls (4e11
    # multiply-adds, a minute of CPU) are refused before anything runs.
    square = tt((4096, 4096), F32)
    chain = [f"%m0 = stablehlo.dot_general %x, %x, contracting_dims = [1] x [0] : ({square}, {square}) -> {square}"]
    chain += [
        f"%m{k} = stablehlo.dot_general %m{k - 1}, %x, contracting_dims = [1] x [0] : ({square}, {square}) -> {square}"
        for k in range(1, 6)
    ]
    yield budget("loops/work-six-4096-matmuls-up-front", func([("x", square)], [square], chain, ["%m5"]),
                 [np.zeros((4096, 4096), F32)], timeout=90)
    # A loop where the budget does not reach it must be refused.
    in_condition = func([("x", SCALAR_I32)], [SCALAR_I32], [while_text(
        "r", [("a", "%x", SCALAR_I32)],
        infinite("%inner", "%a") + "\n%c = stablehlo.compare LT, %inner, %a, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
        "",
        ["%a"],
    )], ["%r"])
    yield rejected("loops/infinite-loop-in-a-condition", in_condition, "'stablehlo.while' inside the condition of 'stablehlo.while' is not allowed")
    in_condition_branch = func([("x", SCALAR_I32), ("p", "tensor<i1>")], [SCALAR_I32], [while_text(
        "r", [("a", "%x", SCALAR_I32)],
        '%b = "stablehlo.if"(%p) ({\n' + textwrap.indent(infinite("%w", "%a") + "\nstablehlo.return %w : tensor<i32>", "  ")
        + "\n}, {\n  stablehlo.return %a : tensor<i32>\n}) : (tensor<i1>) -> tensor<i32>\n"
        "%c = stablehlo.compare LT, %b, %a, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
        "",
        ["%a"],
    )], ["%r"])
    yield rejected("loops/loop-in-a-branch-in-a-condition", in_condition_branch, "'stablehlo.while' inside the condition of 'stablehlo.while' is not allowed")
    yield from _loops_in_bodies()


def _loops_in_bodies() -> Iterator[Case]:
    """Loops in per-element bodies (reducers, comparators, update
    computations), where no budget can reach them."""
    loop = infinite("%w", "%z") + "\n"
    reducer = region("ab", "%z = stablehlo.constant dense<0> : tensor<i32>\n" + loop + "%s = stablehlo.add %a, %w : tensor<i32>\nstablehlo.return %s : tensor<i32>", I32)
    reducer_attrs = textwrap.indent(reducer, "  ")
    t = "tensor<4xi32>"
    bodies = {
        "reduce": f'%r = "stablehlo.reduce"(%x, %x0) ({{\n{reducer_attrs}\n}}) {{dimensions = array<i64: 0>}} : ({t}, tensor<i32>) -> tensor<i32>',
        "reduce_window": f'%r = "stablehlo.reduce_window"(%x, %x0) ({{\n{reducer_attrs}\n}}) {{window_dimensions = array<i64: 2>}} : ({t}, tensor<i32>) -> tensor<3xi32>',
        "scatter": f'%i = stablehlo.constant dense<[[1]]> : tensor<1x1xi32>\n%u = stablehlo.constant dense<[5]> : tensor<1xi32>\n'
        f'%r = "stablehlo.scatter"(%x, %i, %u) ({{\n{reducer_attrs}\n}}) {{scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>}} : ({t}, tensor<1x1xi32>, tensor<1xi32>) -> {t}',
        "sort": f'%r = "stablehlo.sort"(%x) ({{\n'
        + textwrap.indent(region("ab", "%z = stablehlo.constant dense<0> : tensor<i32>\n" + loop + "%p = stablehlo.compare LT, %a, %w, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>\nstablehlo.return %p : tensor<i1>", I32), "  ")
        + f"\n}}) {{dimension = 0 : i64}} : ({t}) -> {t}",
        "map": f'%r = "stablehlo.map"(%x, %x) ({{\n{reducer_attrs}\n}}) {{dimensions = array<i64: 0>}} : ({t}, {t}) -> {t}',
    }
    results = {"reduce": "tensor<i32>", "reduce_window": "tensor<3xi32>", "scatter": t, "sort": t, "map": t}
    for op, text in bodies.items():
        yield rejected(
            f"loops/loop-in-{op}-body",
            func([("x", t), ("x0", "tensor<i32>")], [results[op]], [text], ["%r"]),
            f"'stablehlo.while' inside 'stablehlo.{op}' is not allowed",
        )


# --- case out of range -----------------------------------------------------------------

def control_cases() -> Iterator[Case]:
    branches = ",\n".join(
        f"{{\n  %c{k} = stablehlo.constant dense<{10 + k}> : tensor<i32>\n  stablehlo.return %c{k} : tensor<i32>\n}}" for k in range(3)
    )
    three = func([("k", SCALAR_I32)], [SCALAR_I32], [f'%r = "stablehlo.case"(%k) ({branches}) : (tensor<i32>) -> tensor<i32>'], ["%r"])
    for k in (0, 1, 2, 3, 100, -1, -(2**31), 2**31 - 1):
        # Out of range is the last branch (the spec).
        yield value(f"control/case-index-{k}", three, [np.int32(k)], [np.int32(10 + k if 0 <= k < 3 else 12)])
    one = func([("k", SCALAR_I32), ("x", "tensor<2xf32>")], ["tensor<2xf32>"], [
        '%r = "stablehlo.case"(%k) ({\n  %y = stablehlo.negate %x : tensor<2xf32>\n  stablehlo.return %y : tensor<2xf32>\n}) : (tensor<i32>) -> tensor<2xf32>'
    ], ["%r"])
    for k in (0, -5, 9):
        yield value(f"control/one-branch-case-index-{k}", one, [np.int32(k), np.array([1.5, -0.0], F32)], [np.array([-1.5, 0.0], F32)])


# --- call graphs ------------------------------------------------------------------------

F4 = "tensor<4xf32>"


def calls(functions: dict[str, list[str]], public: str = "main") -> str:
    """Functions on one tensor<4xf32> that call each other: name -> callees,
    called in sequence."""
    text = []
    for name, callees in functions.items():
        body, last = [], "%x"
        for k, callee in enumerate(callees):
            body.append(f"%c{k} = func.call @{callee}({last}) : ({F4}) -> {F4}")
            last = f"%c{k}"
        if not callees:
            body.append("%c0 = stablehlo.tanh %x : tensor<4xf32>")
            last = "%c0"
        text.append(func([("x", F4)], [F4], body, [last], name=name, private=name != public))
    return "".join(text)


def call_graph_cases() -> Iterator[Case]:
    recursive = "recursion is not allowed"
    yield rejected("call_graph/self", calls({"main": ["main"]}), "recursive call @main -> @main: recursion is not allowed")
    yield rejected("call_graph/mutual", calls({"main": ["ping"], "ping": ["pong"], "pong": ["ping"]}), "recursive call @ping -> @pong -> @ping")
    yield rejected("call_graph/cycle-of-five", calls({"main": ["a"], "a": ["b"], "b": ["c"], "c": ["d"], "d": ["e"], "e": ["a"]}), recursive)
    yield rejected("call_graph/back-to-main", calls({"main": ["a"], "a": ["main"]}), recursive)
    levels = {"main": ["l0", "l0"], **{f"l{k}": [f"l{k + 1}", f"l{k + 1}"] for k in range(39)}, "l39": []}
    # 2^40 calls once inlined: rejected before the inliner runs.
    yield rejected("call_graph/doubling-40-levels", calls(levels), "once every call is inlined, above the limit of 1000000")
    wide = {"main": ["l0"] * 10, **{f"l{k}": [f"l{k + 1}"] * 10 for k in range(7)}, "l7": []}
    yield rejected("call_graph/ten-way-8-levels", calls(wide), "once every call is inlined, above the limit of 1000000")
    # MLIR's inliner takes time cubic in the call depth: a chain of 5,000
    # functions would compile for hours. The depth limit refuses it at once.
    chain = {"main": ["c0"], **{f"c{k}": [f"c{k + 1}"] for k in range(4999)}, "c4999": []}
    yield rejected("call_graph/chain-of-5000", calls(chain), "@main nests calls 5000 deep, above the limit of 64")
    # A DAG as deep as the limit allows, each level calling the next twice in
    # a row, and a shared leaf: it compiles and runs (tanh of a signed zero is
    # exact, so the result is bit for bit).
    dag = {"main": ["d0"], **{f"d{k}": [f"d{k + 1}"] for k in range(62)}, "d62": ["leaf", "leaf"], "leaf": []}
    x = np.array([0.0, -0.0, -0.0, 0.0], np.float32)
    yield value("call_graph/deep-dag-at-the-limit", calls(dag), [x], [x], timeout=60)
    loop_call = func([("x", F4), ("n", SCALAR_I32)], [F4], [
        "%zero = stablehlo.constant dense<0> : tensor<i32>",
        while_text(
            "r", [("i", "%zero", SCALAR_I32), ("v", "%x", F4)],
            "%c = stablehlo.compare LT, %i, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>",
            "%one = stablehlo.constant dense<1> : tensor<i32>\n%next = stablehlo.add %i, %one : tensor<i32>\n"
            f"%v2 = func.call @main(%v, %n) : ({F4}, tensor<i32>) -> {F4}",
            ["%next", "%v2"],
        ),
    ], ["%r#1"])
    yield rejected("call_graph/recursion-in-a-loop", loop_call, "recursive call @main -> @main")
    branch_call = func([("x", F4), ("p", "tensor<i1>")], [F4], [
        f'%r = "stablehlo.if"(%p) ({{\n  %y = func.call @main(%x, %p) : ({F4}, tensor<i1>) -> {F4}\n  stablehlo.return %y : {F4}\n}}, {{\n  stablehlo.return %x : {F4}\n}}) : (tensor<i1>) -> {F4}'
    ], ["%r"])
    yield rejected("call_graph/recursion-in-a-branch", branch_call, "recursive call @main -> @main")
    composite = func([("x", F4)], [F4], [f'%r = stablehlo.composite "my.again" %x {{decomposition = @again}} : ({F4}) -> {F4}'], ["%r"])
    composite += func([("x", F4)], [F4], [f'%r = stablehlo.composite "my.again" %x {{decomposition = @main}} : ({F4}) -> {F4}'], ["%r"], name="again", private=True)
    yield rejected("call_graph/recursion-through-composites", composite, recursive)
    yield rejected(
        "call_graph/undefined-callee",
        func([("x", F4)], [F4], [f"%r = func.call @nowhere(%x) : ({F4}) -> {F4}"], ["%r"]),
        "'func.call' op 'nowhere' does not reference a valid function",
    )
    yield rejected(
        "call_graph/callee-type-mismatch",
        func([("x", F4)], ["tensor<8xf32>"], [f"%r = func.call @f(%x) : ({F4}) -> tensor<8xf32>"], ["%r"])
        + "func.func private @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n  return %x : tensor<4xf32>\n}\n",
        "'func.call' op result type mismatch at index 0",
    )
    yield rejected(
        "call_graph/external-function",
        f"func.func private @host_function(%x: {F4}) -> {F4}\n" + func([("x", F4)], [F4], [f"%r = func.call @host_function(%x) : ({F4}) -> {F4}"], ["%r"]),
        "function @host_function has no body: calls to external functions are not allowed",
    )


# --- IREE-internal and other foreign ops ------------------------------------------------------

ONLY_OURS = "a model may contain only StableHLO, CHLO and func ops"
INLINE_ASM = """hal.executable private @evil {
  hal.executable.variant public @x86 target(#hal.executable.target<"llvm-cpu", "embedded-elf-x86_64">) {
    hal.executable.export public @entry ordinal(0) layout(#hal.pipeline.layout<bindings = [#hal.pipeline.binding<storage_buffer>]>) count(%device: !hal.device) -> (index, index, index) {
      %c1 = arith.constant 1 : index
      hal.return %c1, %c1, %c1 : index, index, index
    }
    builtin.module {
      llvm.func @entry() {
        llvm.inline_asm has_side_effects "mov $$1, %rax; mov $$2, %rdi; syscall", ""  : () -> ()
        llvm.return
      }
    }
  }
}
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
"""


def in_main(*lines: str, params=(("x", F4),), results=(F4,), returns=("%x",)) -> str:
    return func(list(params), list(results), list(lines), list(returns))


def iree_internal_cases() -> Iterator[Case]:
    internal = "is an IREE-internal op; " + ONLY_OURS
    yield rejected("iree_internal/hal-executable-inline-asm", INLINE_ASM, f"'hal.executable' {internal}")
    yield rejected("iree_internal/flow-tensor-trace", in_main('flow.tensor.trace "leak" = [%x : tensor<4xf32>]'), f"'flow.tensor.trace' {internal}")
    yield rejected(
        "iree_internal/util-global",
        "util.global private mutable @state : tensor<4xf32>\n" + in_main(),
        f"'util.global' {internal}",
    )
    yield rejected(
        "iree_internal/util-global-load-store",
        "util.global private mutable @state = dense<0.0> : tensor<4xf32>\n"
        + in_main("%old = util.global.load @state : tensor<4xf32>", "util.global.store %x, @state : tensor<4xf32>", returns=("%old",)),
        "IREE-internal op",
    )
    yield rejected("iree_internal/util-optimization-barrier", in_main("%y = util.optimization_barrier %x : tensor<4xf32>", returns=("%y",)), f"'util.optimization_barrier' {internal}")
    yield rejected(
        "iree_internal/hal-import-declaration",
        "func.func private @hal.buffer_view.trace(%key: tensor<4xf32>)\n" + in_main("func.call @hal.buffer_view.trace(%x) : (tensor<4xf32>) -> ()"),
        "function @hal.buffer_view.trace has no body: calls to external functions are not allowed",
    )
    yield rejected(
        "iree_internal/hal-targets-attribute",
        'module attributes {hal.device.targets = [#hal.device.target<"local", [#hal.executable.target<"llvm-cpu", "embedded-elf-x86_64">]> : !hal.device]} {\n'
        + in_main() + "}\n",
        "attribute 'hal.device.targets' is IREE-internal and not allowed in a model",
    )
    yield rejected(
        "iree_internal/hal-attribute-smuggled",
        in_main().replace("-> tensor<4xf32> {", '-> tensor<4xf32> attributes {abi = #hal.executable.target<"llvm-cpu", "embedded-elf-x86_64">} {'),
        "attribute 'abi' refers to the IREE-internal dialect 'hal'",
    )
    yield rejected(
        "iree_internal/encoding-attribute",
        in_main(params=(("x", "tensor<4xf32, #iree_encoding.testing<>>"),), results=("tensor<4xf32, #iree_encoding.testing<>>",)),
        "refers to the IREE-internal dialect 'iree_encoding'",
    )
    yield rejected(
        "iree_internal/flow-dispatch-region",
        in_main("%y = flow.dispatch.region -> (tensor<4xf32>) {\n  flow.return %x : tensor<4xf32>\n}", returns=("%y",)),
        f"'flow.dispatch.region' {internal}",
    )
    yield rejected("iree_internal/hal-device-query", in_main(
        "%c0 = arith.constant 0 : index", "%device = hal.devices.get %c0 : !hal.device"), "'hal.devices.get' is an IREE-internal op")
    foreign = [
        ("arith-addf", "%y = arith.addf %x, %x : tensor<4xf32>", "'arith.addf' is not allowed"),
        ("math-sqrt", "%y = math.sqrt %x : tensor<4xf32>", "'math.sqrt' is not allowed"),
        ("tensor-empty", "%y = tensor.empty() : tensor<4xf32>", "'tensor.empty' is not allowed"),
        ("linalg-generic", "%e = tensor.empty() : tensor<4xf32>\n%y = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = [\"parallel\"]} ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {\n^bb0(%a: f32, %b: f32):\n  linalg.yield %a : f32\n} -> tensor<4xf32>", "is not allowed; " + ONLY_OURS),
        ("unrealized-cast", "%y = builtin.unrealized_conversion_cast %x : tensor<4xf32> to tensor<4xf32>", "'builtin.unrealized_conversion_cast' is not allowed"),
        ("memref-alloc", "%m = memref.alloc() : memref<4xf32>\n%y = bufferization.to_tensor %m : memref<4xf32> to tensor<4xf32>", "is not allowed; " + ONLY_OURS),
        ("scf-while", "%y = scf.while (%a = %x) : (tensor<4xf32>) -> tensor<4xf32> {\n  %t = arith.constant true\n  scf.condition(%t) %a : tensor<4xf32>\n} do {\n^bb0(%a: tensor<4xf32>):\n  scf.yield %a : tensor<4xf32>\n}", "'scf.while' is not allowed"),
        ("llvm-inline-asm-in-main", "llvm.inline_asm has_side_effects \"syscall\", \"\" : () -> ()\n%y = stablehlo.add %x, %x : tensor<4xf32>", "'llvm.inline_asm' is an IREE-internal op"),
        ("check-expect", "check.expect_eq(%x, %x) : tensor<4xf32>\n%y = stablehlo.add %x, %x : tensor<4xf32>", "'check.expect_eq' is an IREE-internal op"),
        ("unregistered-op", '%y = "evil.op"(%x) : (tensor<4xf32>) -> tensor<4xf32>', "operation being parsed with an unregistered dialect"),
        ("unknown-stablehlo-op", "%y = stablehlo.not_an_op %x : tensor<4xf32>", "custom op 'stablehlo.not_an_op' is unknown"),
        ("unknown-stablehlo-generic-op", '%y = "stablehlo.not_an_op"(%x) : (tensor<4xf32>) -> tensor<4xf32>', "stablehlo.not_an_op"),
    ]
    for label, body, message in foreign:
        yield rejected(f"iree_internal/{label}", in_main(body, returns=("%y",)), message)
    yield rejected(
        "iree_internal/ml-program-global",
        "ml_program.global private mutable @g(dense<0.0> : tensor<4xf32>) : tensor<4xf32>\n"
        + in_main("%y = ml_program.global_load @g : tensor<4xf32>", returns=("%y",)),
        "'ml_program.global' is not allowed",
    )
    yield rejected(
        "iree_internal/llvm-func-at-top",
        'llvm.func @payload() {\n  llvm.inline_asm has_side_effects "syscall", "" : () -> ()\n  llvm.return\n}\n' + in_main(),
        "'llvm.func' is an IREE-internal op",
    )
    yield rejected(
        "iree_internal/util-func",
        "util.func public @main(%x: tensor<4xf32>) -> tensor<4xf32> {\n  util.return %x : tensor<4xf32>\n}\n",
        f"'util.func' {internal}",
    )
    yield rejected("iree_internal/nested-module", "module {\n  module @inner {\n" + in_main() + "  }\n}\n", "nested modules are not allowed")


# --- ops outside the profile --------------------------------------------------------------

TOKEN = "!stablehlo.token"


def forbidden_cases() -> Iterator[Case]:
    host = "it hands control to the host or another device"
    collective = "collectives need other devices; WebTensor runs single-device models"
    ops = [
        ("custom-call", "%y = stablehlo.custom_call @host_callback(%x) : (tensor<4xf32>) -> tensor<4xf32>", f"'stablehlo.custom_call' is not allowed: {host}"),
        ("custom-call-side-effect", '%y = stablehlo.custom_call @xla_python_cpu_callback(%x) {has_side_effect = true, api_version = 2 : i32, backend_config = "140737488355328"} : (tensor<4xf32>) -> tensor<4xf32>', f"'stablehlo.custom_call' is not allowed: {host}"),
        ("custom-call-sharding", "%y = stablehlo.custom_call @Sharding(%x) {mhlo.sharding = \"{replicated}\"} : (tensor<4xf32>) -> tensor<4xf32>", f"'stablehlo.custom_call' is not allowed: {host}"),
        ("infeed", f'%t = stablehlo.create_token : {TOKEN}\n%y, %t2 = "stablehlo.infeed"(%t) {{infeed_config = ""}} : ({TOKEN}) -> (tensor<4xf32>, {TOKEN})', "type !stablehlo.token is not allowed; values must be ranked tensors"),
        ("outfeed", f'%t = stablehlo.create_token : {TOKEN}\n%t2 = "stablehlo.outfeed"(%x, %t) {{outfeed_config = ""}} : (tensor<4xf32>, {TOKEN}) -> {TOKEN}\n%y = stablehlo.add %x, %x : tensor<4xf32>', "type !stablehlo.token is not allowed; values must be ranked tensors"),
        ("send", f'%t = stablehlo.create_token : {TOKEN}\n%t2 = "stablehlo.send"(%x, %t) {{channel_handle = #stablehlo.channel_handle<handle = 1, type = 2>, is_host_transfer = true}} : (tensor<4xf32>, {TOKEN}) -> {TOKEN}\n%y = stablehlo.add %x, %x : tensor<4xf32>', "type !stablehlo.token is not allowed; values must be ranked tensors"),
        ("recv", f'%t = stablehlo.create_token : {TOKEN}\n%y, %t2 = "stablehlo.recv"(%t) {{channel_handle = #stablehlo.channel_handle<handle = 1, type = 3>, is_host_transfer = true}} : ({TOKEN}) -> (tensor<4xf32>, {TOKEN})', "type !stablehlo.token is not allowed; values must be ranked tensors"),
        ("all-reduce", '%y = "stablehlo.all_reduce"(%x) ({\n' + textwrap.indent(region("ab", "%s = stablehlo.add %a, %b : tensor<f32>\nstablehlo.return %s : tensor<f32>", F32), "  ") + "\n}) {replica_groups = dense<[[0]]> : tensor<1x1xi64>} : (tensor<4xf32>) -> tensor<4xf32>", f"'stablehlo.all_reduce' is not allowed: {collective}"),
        ("all-gather", '%y = "stablehlo.all_gather"(%x) {all_gather_dim = 0 : i64, replica_groups = dense<[[0]]> : tensor<1x1xi64>} : (tensor<4xf32>) -> tensor<4xf32>', f"'stablehlo.all_gather' is not allowed: {collective}"),
        ("all-to-all", '%y = "stablehlo.all_to_all"(%x) {split_dimension = 0 : i64, concat_dimension = 0 : i64, split_count = 1 : i64, replica_groups = dense<[[0]]> : tensor<1x1xi64>} : (tensor<4xf32>) -> tensor<4xf32>', f"'stablehlo.all_to_all' is not allowed: {collective}"),
        ("collective-permute", '%y = "stablehlo.collective_permute"(%x) {source_target_pairs = dense<[[0, 0]]> : tensor<1x2xi64>} : (tensor<4xf32>) -> tensor<4xf32>', f"'stablehlo.collective_permute' is not allowed: {collective}"),
        ("collective-broadcast", '%y = "stablehlo.collective_broadcast"(%x) {replica_groups = dense<[[0]]> : tensor<1x1xi64>} : (tensor<4xf32>) -> tensor<4xf32>', f"'stablehlo.collective_broadcast' is not allowed: {collective}"),
        ("reduce-scatter", '%y = "stablehlo.reduce_scatter"(%x) ({\n' + textwrap.indent(region("ab", "%s = stablehlo.add %a, %b : tensor<f32>\nstablehlo.return %s : tensor<f32>", F32), "  ") + "\n}) {scatter_dimension = 0 : i64, replica_groups = dense<[[0]]> : tensor<1x1xi64>} : (tensor<4xf32>) -> tensor<4xf32>", f"'stablehlo.reduce_scatter' is not allowed: {collective}"),
        ("partition-id", "%p = stablehlo.partition_id : tensor<ui32>\n%f = stablehlo.convert %p : (tensor<ui32>) -> tensor<f32>\n%b = stablehlo.broadcast_in_dim %f, dims = [] : (tensor<f32>) -> tensor<4xf32>\n%y = stablehlo.add %x, %b : tensor<4xf32>", f"'stablehlo.partition_id' is not allowed: {collective}"),
        ("replica-id", "%p = stablehlo.replica_id : tensor<ui32>\n%f = stablehlo.convert %p : (tensor<ui32>) -> tensor<f32>\n%b = stablehlo.broadcast_in_dim %f, dims = [] : (tensor<f32>) -> tensor<4xf32>\n%y = stablehlo.add %x, %b : tensor<4xf32>", f"'stablehlo.replica_id' is not allowed: {collective}"),
        ("after-all", f"%t = stablehlo.create_token : {TOKEN}\n%t2 = stablehlo.after_all %t, %t : {TOKEN}\n%y = stablehlo.add %x, %x : tensor<4xf32>", "type !stablehlo.token is not allowed; values must be ranked tensors"),
        ("rng", "%a = stablehlo.constant dense<0.0> : tensor<f32>\n%b = stablehlo.constant dense<1.0> : tensor<f32>\n%s = stablehlo.constant dense<[4]> : tensor<1xi64>\n%y = stablehlo.rng %a, %b, %s, distribution = UNIFORM : (tensor<f32>, tensor<f32>, tensor<1xi64>) -> tensor<4xf32>", "'stablehlo.rng' is not allowed: its results are implementation-defined; use rng_bit_generator"),
        ("tuple", "%t = stablehlo.tuple %x, %x : tuple<tensor<4xf32>, tensor<4xf32>>\n%y = stablehlo.get_tuple_element %t[0] : (tuple<tensor<4xf32>, tensor<4xf32>>) -> tensor<4xf32>", "type tuple<tensor<4xf32>, tensor<4xf32>> is not allowed; values must be ranked tensors"),
        ("cholesky", "%m = stablehlo.reshape %x : (tensor<4xf32>) -> tensor<2x2xf32>\n%c = stablehlo.cholesky %m, lower = true : tensor<2x2xf32>\n%y = stablehlo.reshape %c : (tensor<2x2xf32>) -> tensor<4xf32>", "'stablehlo.cholesky' is not allowed: IREE 3.13 cannot lower it"),
        ("triangular-solve", '%m = stablehlo.reshape %x : (tensor<4xf32>) -> tensor<2x2xf32>\n%c = "stablehlo.triangular_solve"(%m, %m) {left_side = true, lower = true, unit_diagonal = false, transpose_a = #stablehlo<transpose NO_TRANSPOSE>} : (tensor<2x2xf32>, tensor<2x2xf32>) -> tensor<2x2xf32>\n%y = stablehlo.reshape %c : (tensor<2x2xf32>) -> tensor<4xf32>', "'stablehlo.triangular_solve' is not allowed: IREE 3.13 cannot lower it"),
        ("dynamic-iota", "%s = stablehlo.constant dense<[4]> : tensor<1xi64>\n%y = stablehlo.dynamic_iota %s, dim = 0 : (tensor<1xi64>) -> tensor<4xf32>", "'stablehlo.dynamic_iota' is not allowed"),
        ("dynamic-reshape", "%s = stablehlo.constant dense<[4]> : tensor<1xi64>\n%y = stablehlo.dynamic_reshape %x, %s : (tensor<4xf32>, tensor<1xi64>) -> tensor<4xf32>", "'stablehlo.dynamic_reshape' is not allowed"),
        ("real-dynamic-slice", "%a = stablehlo.constant dense<[0]> : tensor<1xi64>\n%b = stablehlo.constant dense<[4]> : tensor<1xi64>\n%c = stablehlo.constant dense<[1]> : tensor<1xi64>\n%y = stablehlo.real_dynamic_slice %x, %a, %b, %c : (tensor<4xf32>, tensor<1xi64>, tensor<1xi64>, tensor<1xi64>) -> tensor<4xf32>", "'stablehlo.real_dynamic_slice' is not allowed"),
        ("einsum", '%y = "stablehlo.einsum"(%x, %x) {einsum_config = "i,i->i"} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>', "'stablehlo.einsum' is not allowed: deprecated; use dot_general"),
        ("torch-index-select", "%i = stablehlo.constant dense<[0, 1, 2, 3]> : tensor<4xi32>\n%y = \"stablehlo.torch_index_select\"(%x, %i) {dim = 0 : i64, batch_dims = 0 : i64} : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>", "'stablehlo.torch_index_select' is not allowed"),
        ("uniform-quantize", "%q = stablehlo.uniform_quantize %x : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.5>>\n%y = stablehlo.uniform_dequantize %q : (tensor<4x!quant.uniform<i8:f32, 0.5>>) -> tensor<4xf32>", "element type !quant.uniform<i8:f32, 5.000000e-01> is not in the profile"),
    ]
    for label, body, message in ops:
        yield rejected(f"forbidden/{label}", in_main(body, returns=("%y",)), message)
    yield rejected(
        "forbidden/dynamic-gather",
        in_main(
            "%i = stablehlo.constant dense<[[1]]> : tensor<1x1xi32>",
            "%s = stablehlo.constant dense<[1]> : tensor<1xi32>",
            '%y = "stablehlo.dynamic_gather"(%x, %i, %s) {dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>} : (tensor<4xf32>, tensor<1x1xi32>, tensor<1xi32>) -> tensor<1xf32>',
            results=("tensor<1xf32>",), returns=("%y",),
        ),
        "'stablehlo.dynamic_gather' is not allowed",
    )
    types = [
        ("f64-remainder", "tensor<4xf64>", "%y = stablehlo.remainder %x, %x : tensor<4xf64>", "'stablehlo.remainder' does not take f64"),
        ("complex64-power", "tensor<4xcomplex<f64>>", "%y = stablehlo.power %x, %x : tensor<4xcomplex<f64>>", "'stablehlo.power' does not take complex<f64>"),
        ("integer-power", "tensor<4xi32>", "%y = stablehlo.power %x, %x : tensor<4xi32>", "'stablehlo.power' does not take i32"),
        ("complex-cbrt", "tensor<4xcomplex<f32>>", "%y = stablehlo.cbrt %x : tensor<4xcomplex<f32>>", "'stablehlo.cbrt' does not take complex<f32>"),
        ("float8", "tensor<4xf8E4M3FN>", "%y = stablehlo.add %x, %x : tensor<4xf8E4M3FN>", "element type f8E4M3FN is not in the profile"),
        ("int4", "tensor<4xi4>", "%y = stablehlo.add %x, %x : tensor<4xi4>", "element type i4 is not in the profile"),
        ("unranked", "tensor<*xf32>", "%y = stablehlo.add %x, %x : tensor<*xf32>", "must be ranked tensor of"),
        ("token-argument", TOKEN, "%y = stablehlo.after_all %x : !stablehlo.token", "type !stablehlo.token is not allowed"),
    ]
    for label, t, body, message in types:
        yield rejected(f"forbidden/{label}", in_main(body, params=(("x", t),), results=(t,), returns=("%y",)), message)


# --- sizes and limits ---------------------------------------------------------------------

LIMIT = "above the limit of 2147483648"


def sizes_cases() -> Iterator[Case]:
    f = lambda body, params=(("x", F4),), results=(F4,), returns=("%y",): in_main(*body.split("\n"), params=params, results=results, returns=returns)  # noqa: E731
    big = "tensor<1000000x1000000xf32>"
    yield rejected("sizes/broadcast-10^12", f(f"%y = stablehlo.broadcast_in_dim %s, dims = [] : (tensor<f32>) -> {big}", params=(("s", "tensor<f32>"),), results=(big,)),
                   f"{big} has 1000000000000 elements, {LIMIT}")
    yield rejected("sizes/iota-2^40", f("%y = stablehlo.iota dim = 0 : tensor<1099511627776xf32>", params=(), results=("tensor<1099511627776xf32>",)),
                   f"tensor<1099511627776xf32> has 1099511627776 elements, {LIMIT}")
    yield rejected("sizes/argument-2^31+1", f("%y = stablehlo.add %x, %x : tensor<2147483649xi8>", params=(("x", "tensor<2147483649xi8>"),), results=("tensor<2147483649xi8>",)),
                   f"tensor<2147483649xi8> has 2147483649 elements, {LIMIT}")
    yield rejected("sizes/dimension-2^63-1", f("%y = stablehlo.negate %x : tensor<9223372036854775807xf32>", params=(("x", "tensor<9223372036854775807xf32>"),), results=("tensor<9223372036854775807xf32>",)),
                   f"has 9223372036854775807 elements, {LIMIT}")
    yield rejected("sizes/pad-wraps-at-2^64",
                   f("%p = stablehlo.constant dense<0.0> : tensor<f32>\n%y = stablehlo.pad %x, %p, low = [9223372036854775807], high = [9223372036854775807], interior = [0] : (tensor<6xf32>, tensor<f32>) -> tensor<4xf32>",
                     params=(("x", "tensor<6xf32>"),)),
                   "attribute 'edge_padding_high' holds 9223372036854775807, beyond any tensor size the profile allows")
    yield rejected("sizes/pad-interior-2^32",
                   f("%p = stablehlo.constant dense<0.0> : tensor<f32>\n%y = stablehlo.pad %x, %p, low = [0], high = [0], interior = [4294967296] : (tensor<3xf32>, tensor<f32>) -> tensor<8589934595xf32>",
                     params=(("x", "tensor<3xf32>"),), results=("tensor<8589934595xf32>",)),
                   "attribute 'interior_padding' holds 4294967296, beyond any tensor size the profile allows")
    t63 = "tensor<9223372036854775807xf32>"
    yield rejected("sizes/concatenate-wraps-at-2^64",
                   f(f"%y = stablehlo.concatenate %a, %b, %c, dim = 0 : ({t63}, {t63}, tensor<6xf32>) -> tensor<4xf32>", params=(("a", t63), ("b", t63), ("c", "tensor<6xf32>"))),
                   "concatenate result dimension 0 is 4, but its operands add up to 18446744073709551620")
    yield rejected("sizes/dot-general-2^43-multiply-adds",
                   f("%y = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<32768x16384xf16>, tensor<16384x16384xf16>) -> tensor<32768x16384xf16>",
                     params=(("a", "tensor<32768x16384xf16>"), ("b", "tensor<16384x16384xf16>")), results=("tensor<32768x16384xf16>",)),
                   "above the limit of 4398046511104")
    window = 2**21
    yield rejected("sizes/reduce-window-2^42-work",
                   f('%init = stablehlo.constant dense<0.0> : tensor<f32>\n%y = "stablehlo.reduce_window"(%x, %init) ({\n'
                     + textwrap.indent(region("ab", "%s = stablehlo.add %a, %b : tensor<f32>\nstablehlo.return %s : tensor<f32>", F32), "  ")
                     + f"\n}}) {{window_dimensions = array<i64: {window}>, padding = dense<[[{2 * window}, {2 * window}]]> : tensor<1x2xi64>}} : (tensor<1048576xf32>, tensor<f32>) -> tensor<{2**20 + 4 * window - window + 1}xf32>",
                     params=(("x", "tensor<1048576xf32>"),), results=(f"tensor<{2**20 + 3 * window + 1}xf32>",)),
                   "above the limit of 4398046511104")
    rank9 = "tensor<1x1x1x1x1x1x1x1x1xf32>"
    yield rejected("sizes/rank-9", f(f"%y = stablehlo.add %x, %x : {rank9}", params=(("x", rank9),), results=(rank9,)), "rank 9 is above the limit of 8")
    n = 65537
    yield rejected("sizes/sort-65537", f(
        f'%y = "stablehlo.sort"(%x) ({{\n' + textwrap.indent(region("ab", "%p = stablehlo.compare LT, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>\nstablehlo.return %p : tensor<i1>", F32), "  ")
        + f"\n}}) {{dimension = 0 : i64}} : (tensor<{n}xf32>) -> tensor<{n}xf32>",
        params=(("x", f"tensor<{n}xf32>"),), results=(f"tensor<{n}xf32>",)), "above the limit of 65536")
    yield rejected("sizes/splat-constant-2^31+1", f("%c = stablehlo.constant dense<1.0> : tensor<2147483649xf32>\n%y = stablehlo.add %c, %c : tensor<2147483649xf32>",
                                                    params=(), results=("tensor<2147483649xf32>",)), f"has 2147483649 elements, {LIMIT}")
    yield rejected("sizes/unbounded-dynamic-dimension", f("%y = stablehlo.add %x, %x : tensor<?xf32>", params=(("x", "tensor<?xf32>"),), results=("tensor<?xf32>",)),
                   "dimension 0 of tensor<?xf32> is dynamic with no upper bound")
    bounded = "tensor<?xf32, #stablehlo.bounds<4294967296>>"
    yield rejected("sizes/dynamic-bound-2^32", f(f"%y = stablehlo.add %x, %x : {bounded}", params=(("x", bounded),), results=(bounded,)), LIMIT)
    live = "tensor<1073741824xf64>"  # 8 GiB each
    yield rejected("sizes/live-bytes-24-GiB",
                   f("\n".join([f"%a = stablehlo.add %x, %x : {live}", f"%b = stablehlo.multiply %x, %x : {live}", f"%y = stablehlo.add %a, %b : {live}"]),
                     params=(("x", live),), results=(live,)),
                   "bytes of live tensors, above the limit of 17179869184")
    yield rejected("sizes/window-stride-2^40", f(
        '%init = stablehlo.constant dense<0.0> : tensor<f32>\n%y = "stablehlo.reduce_window"(%x, %init) ({\n'
        + textwrap.indent(region("ab", "%s = stablehlo.add %a, %b : tensor<f32>\nstablehlo.return %s : tensor<f32>", F32), "  ")
        + "\n}) {window_dimensions = array<i64: 2>, window_strides = array<i64: 1099511627776>} : (tensor<7xf32>, tensor<f32>) -> tensor<1xf32>",
        params=(("x", "tensor<7xf32>"),), results=("tensor<1xf32>",)), "attribute 'window_strides' holds 1099511627776, beyond any tensor size the profile allows")
    chain = "\n".join(f"%v{k + 1} = stablehlo.add %v{k}, %v{k} : tensor<4xf32>" for k in range(120)).replace("%v0", "%x")
    from webtensor.dialects.profile import Limits

    yield rejected("sizes/ops-over-a-host-limit", f(chain, returns=("%v120",)), "above the limit of 100", options={"limits": Limits(max_ops=100)})
    yield rejected("sizes/slice-stride-0", f("%y = stablehlo.slice %x [0:4:0] : (tensor<4xf32>) -> tensor<4xf32>"), "stride must be positive but got 0 in dimension 0")
    yield rejected("sizes/iota-dimension-out-of-range", f("%y = stablehlo.iota dim = 3 : tensor<4xf32>", params=()), "iota dimension cannot go beyond the output rank")
    yield rejected("sizes/reshape-mismatch", f("%y = stablehlo.reshape %x : (tensor<4xf32>) -> tensor<5xf32>", results=("tensor<5xf32>",)), "number of output elements (5) doesn't match expected number of elements (4)")
    yield rejected("sizes/transpose-bad-permutation", f("%m = stablehlo.reshape %x : (tensor<4xf32>) -> tensor<2x2xf32>\n%y = stablehlo.transpose %m, dims = [0, 0] : (tensor<2x2xf32>) -> tensor<2x2xf32>",
                                                         results=("tensor<2x2xf32>",)), "attribute permutation must be a permutation of [0, 1] but got 0, 0")


# --- malformed input ---------------------------------------------------------------------

SMALL = "func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {\n  %0 = stablehlo.add %x, %x : tensor<4xf32>\n  return %0 : tensor<4xf32>\n}\n"


def bytecode(text: str) -> bytes:
    """MLIR bytecode of a trusted module (parsed in this process)."""
    import io

    from webtensor.compiler.frontends.stablehlo_file import load_text
    from webtensor.compiler.session import CompilerSession

    session = CompilerSession()
    buffer = io.BytesIO()
    session.parse(load_text(text)).operation.write_bytecode(buffer)
    session.close()
    return buffer.getvalue()


def portable_artifact(text: str, version: str | None = None) -> bytes:
    """A StableHLO portable artifact (VHLO bytecode), as jax.export makes them."""
    from jaxlib.mlir.dialects import stablehlo

    return stablehlo.serialize_portable_artifact_str(text, version or stablehlo.get_minimum_version())


def malformed_cases() -> Iterator[Case]:
    texts = [
        ("empty", "", "the input is empty"),
        ("only-whitespace", " \n\t\n  \n", "the input is empty"),
        ("nul-byte", SMALL.replace("add %x", "add\0 %x"), "MLIR text contains a NUL byte"),
        ("lone-surrogate", SMALL.replace("@main", "@ma\ud800in"), "MLIR text is not valid Unicode (a lone surrogate"),
        ("truncated-text", SMALL[: len(SMALL) // 2], "custom op 'sta' is unknown"),
        ("unbalanced-braces", "}}}}\n" + SMALL, "expected operation name in quotes"),
        ("dimension-beyond-64-bits", SMALL.replace("4xf32>) -> tensor<4xf32> {", "4xf32>) -> tensor<99999999999999999999xf32> {"), "invalid dimension"),
        ("negative-dimension", SMALL.replace("tensor<4xf32>", "tensor<-1xf32>"), "expected non-function type"),
        ("mixed-element-types", SMALL.replace("stablehlo.add %x, %x : tensor<4xf32>", "stablehlo.add %x, %x : (tensor<4xf32>, tensor<4xi32>) -> tensor<4xf32>"), "use of value '%x' expects different type than prior uses"),
        ("wrong-return-type", SMALL.replace("return %0 : tensor<4xf32>", "return %0 : tensor<8xf32>"), "use of value '%0' expects different type than prior uses"),
        ("duplicate-function", SMALL + SMALL, "redefinition of symbol named 'main'"),
        ("dense-wrong-count", "func.func @main() -> tensor<4xf32> {\n  %0 = stablehlo.constant dense<[1.0, 2.0]> : tensor<4xf32>\n  return %0 : tensor<4xf32>\n}\n", "inferred shape of elements literal ([2]) does not match type ([4])"),
        ("float-literal-overflow", "func.func @main() -> tensor<f32> {\n  %0 = stablehlo.constant dense<1e999999> : tensor<f32>\n  return %0 : tensor<f32>\n}\n", "failed to parse"),
        ("integer-literal-overflow", "func.func @main() -> tensor<i8> {\n  %0 = stablehlo.constant dense<300> : tensor<i8>\n  return %0 : tensor<i8>\n}\n", "integer constant out of range for type"),
        ("undefined-value", SMALL.replace("add %x, %x", "add %x, %nothing"), "use of undeclared SSA value name"),
        ("ascii-noise", "".join(chr(c) for c in rng_for("noise").integers(32, 127, 400)) + "\n", "expected operation name in quotes"),
    ]
    for label, text, message in texts:
        yield rejected(f"malformed/{label}", text, message)
    yield rejected("malformed/not-utf8-not-bytecode", b"\xff\xfe\x00garbage" + bytes(range(128, 256)), "neither MLIR text (not UTF-8 at byte 0) nor MLIR bytecode")
    yield rejected("malformed/bytecode-magic-only", b"ML\xefR", "truncated MLIR bytecode: nothing after the 'ML\\xefR' header")
    good = bytecode(SMALL)
    # Bytecode, however broken, is parsed in the compiler worker (isolate=True):
    # the bytecode reader is among the programs that crash on hostile input.
    isolated = {"isolate": True}
    for cut in (5, len(good) // 4, len(good) // 2, len(good) - 3):
        message = "the header ends inside the producer string" if cut == 5 else "<bytes>:0:0: error: attempting to parse"
        yield rejected(f"malformed/bytecode-truncated-at-{cut}", good[:cut], message, options=isolated)
    yield rejected("malformed/bytecode-producer-not-ascii", good[:5] + b"\xff\xfe\x00" + good[6:], "the producer string is not printable ASCII", options=isolated)
    header = good.index(b"\0", 5) + 1
    for seed in range(3):
        rng = rng_for(f"bytecode-noise-{seed}")
        noisy = good[:header] + bytes(rng.integers(0, 256, 200, dtype=np.uint8))
        yield rejected(f"malformed/bytecode-header-then-noise-{seed}", noisy, "<bytes>:0:0: error: invalid section ID", options=isolated)
    scatter = next(c for c in scatter_cases() if c.name == "scatter/add-f32-i64")
    yield Case("malformed/bytecode-of-an-out-of-bounds-scatter", bytecode(scatter.source), VALUE, inputs=scatter.inputs, want=scatter.want, options=isolated)
    yield value("malformed/valid-bytecode", good, [np.array([1.5, -2, np.inf, np.nan], F32)], [np.array([3, -4, np.inf, np.nan], F32)], options=isolated)


# --- nesting ------------------------------------------------------------------------------

def nested_ifs(depth: int) -> str:
    """`depth` nested stablehlo.if regions around a negate."""
    inner = "%y = stablehlo.negate %x : tensor<2xf32>\nstablehlo.return %y : tensor<2xf32>"
    for d in range(depth):
        inner = (f'%r{d} = "stablehlo.if"(%p) ({{\n' + textwrap.indent(inner, "  ") + f"\n}}, {{\n  stablehlo.return %x : tensor<2xf32>\n}}) : (tensor<i1>) -> tensor<2xf32>\nstablehlo.return %r{d} : tensor<2xf32>")
    body = inner.rsplit("\n", 1)[0]  # the outermost if's value is the function's
    return func([("x", "tensor<2xf32>"), ("p", "tensor<i1>")], ["tensor<2xf32>"], [body], [f"%r{depth - 1}"])


def nesting_cases() -> Iterator[Case]:
    deep = "nesting is deeper than the limit of 256 levels of (), [], {} and <>"
    yield rejected("nesting/100000-parentheses", "func.func @main() -> tensor<f32> {\n" + "(" * 100_000 + ")" * 100_000 + "\n}\n", deep)
    yield rejected("nesting/100000-modules", "module {\n" * 100_000 + "}\n" * 100_000, deep)
    yield rejected("nesting/100000-tuple-types", "func.func private @f(tensor<" + "tuple<" * 100_000 + "f32" + ">" * 100_001 + ")\n", deep)
    yield rejected("nesting/300-brackets-in-a-constant", "func.func @main() -> tensor<f32> {\n  %0 = stablehlo.constant dense<" + "[" * 300 + "1.0" + "]" * 300 + "> : tensor<f32>\n  return %0 : tensor<f32>\n}\n", deep)
    x = np.array([1.5, -0.0], F32)
    yield value("nesting/brackets-in-a-comment", "// " + "(" * 100_000 + "\n" + SMALL, [np.array([1, 2, 3, 4], F32)], [np.array([2, 4, 6, 8], F32)])
    yield value("nesting/brackets-in-a-string", SMALL.replace("-> tensor<4xf32> {", '-> tensor<4xf32> attributes {note = "' + "{[(<" * 10_000 + '"} {'),
                [np.array([1, 2, 3, 4], F32)], [np.array([2, 4, 6, 8], F32)])
    yield value("nesting/30-nested-ifs", nested_ifs(30), [x, np.bool_(True)], [-x])
    yield rejected("nesting/40-nested-ifs", nested_ifs(40), "above the limit of 32")


# --- sort ---------------------------------------------------------------------------------

def total_order_key(x: np.ndarray) -> list[int]:
    """IEEE totalOrder as integers: -NaN < -inf < ... < -0 < +0 < ... < inf < NaN."""
    bits = x.view(f"i{x.dtype.itemsize}").astype(np.int64)
    mask = (1 << (8 * x.dtype.itemsize - 1)) - 1
    return [int(b) ^ mask if b < 0 else int(b) for b in bits]


def comparator(direction: str, compare_type: str, element, operands: int = 1, body: str | None = None) -> str:
    t = tt((), element)
    names = ["a", "b"] + [f"o{k}" for k in range(2 * (operands - 1))]
    header = "^bb0(" + ", ".join(f"%{n}: {t if k < 2 else tt((), I32)}" for k, n in enumerate(names)) + "):"
    body = body or f"%p = stablehlo.compare {direction}, %a, %b, {compare_type} : ({t}, {t}) -> tensor<i1>"
    return f"{header}\n  {body.replace(chr(10), chr(10) + '  ')}\n  stablehlo.return %p : tensor<i1>"


def sort_text(n: int, element, comparator_text: str, payload: bool = False, stable: bool = True) -> str:
    k_t, p_t = tt((n,), element), tt((n,), I32)
    operands, types = ("%k, %v", f"{k_t}, {p_t}") if payload else ("%k", k_t)
    results = f"({types})" if payload else types
    count = ":2" if payload else ""
    return (f'%r{count} = "stablehlo.sort"({operands}) ({{\n' + textwrap.indent(comparator_text, "  ")
            + f"\n}}) {{dimension = 0 : i64, is_stable = {'true' if stable else 'false'}}} : ({types}) -> {results}")


def sort_module(n, element, comparator_text, payload=False, stable=True, **kwargs):
    k_t, p_t = tt((n,), element), tt((n,), I32)
    params = [("k", k_t)] + ([("v", p_t)] if payload else [])
    results, returns = ([k_t, p_t], ["%r#0", "%r#1"]) if payload else ([k_t], ["%r"])
    return func(params, results, [sort_text(n, element, comparator_text, payload, stable)], returns)


def check_permutation(inputs, outputs) -> str | None:
    """The keys and payloads come out permuted together: the payload holds
    the positions 0..n-1, so every position once, with its own key."""
    keys, _ = inputs
    sorted_keys, positions = (np.asarray(o) for o in outputs)
    if sorted(positions.tolist()) != list(range(len(keys))):
        return f"the positions are no permutation: {positions.tolist()}"
    moved = keys[positions]
    same = (moved.view(f"u{keys.dtype.itemsize}") == sorted_keys.view(f"u{keys.dtype.itemsize}"))
    if not same.all():
        return f"keys did not move with their positions: {sorted_keys.tolist()} vs {moved.tolist()}"
    return None


def sort_cases() -> Iterator[Case]:
    specials = [np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.5, -2.5]
    for element in FLOATS:
        name = f"sort/total-order-{el(element)}"
        rng = rng_for(name)
        x = rng.choice(np.array(specials, element), 40)
        order = sorted(range(len(x)), key=lambda i, k=total_order_key(x): (k[i], i))
        options = KEEP_F64 if element == F64 else {}
        yield value(name, sort_module(len(x), element, comparator("LT", "TOTALORDER", element)), [x], [x[order]], options=options)
    name = "sort/total-order-descending-with-positions"
    rng = rng_for(name)
    x = rng.choice(np.array(specials, F32), 40)
    positions = np.arange(40, dtype=I32)
    keys = total_order_key(x)
    order = sorted(range(40), key=lambda i: (-keys[i], i))
    yield value(name, sort_module(40, F32, comparator("GT", "TOTALORDER", F32, 2), payload=True), [x, positions], [x[order], positions[order]])
    for stable in (True, False):
        # Ties keep their input order, whatever is_stable says.
        name = f"sort/ties-{'stable' if stable else 'unstable'}"
        rng = rng_for(name)
        k = rng.integers(0, 3, 64).astype(I32)
        v = np.arange(64, dtype=I32)
        order = np.argsort(k, kind="stable")
        yield value(name, sort_module(64, I32, comparator("LT", "SIGNED", I32, 2), payload=True, stable=stable), [k, v], [k[order], v[order]])
    for label, constant_value in (("always-true", "true"), ("always-false", "false")):
        x = np.array([3, 1, 2, 0, 5, 4], F32)
        body = f"%p = stablehlo.constant dense<{constant_value}> : tensor<i1>"
        yield value(f"sort/comparator-{label}", sort_module(6, F32, comparator("", "", F32, body=body)), [x], [x])
    name = "sort/ui64-above-2^63"
    x = np.array([2**64 - 1, 0, 2**63, 5, 2**63 - 1, 2**63 + 1, 1], U64)
    yield value(name, sort_module(7, U64, comparator("LT", "UNSIGNED", U64)), [x], [np.sort(x)])
    x = np.array([True, False, True, False, False, True])
    yield value("sort/booleans", sort_module(6, I1, comparator("LT", "UNSIGNED", I1)), [x], [np.sort(x)])
    name = "sort/two-keys"
    rng = rng_for(name)
    k = rng.integers(0, 3, 30).astype(F32)
    v = rng.integers(0, 4, 30).astype(I32)
    body = ("%lt = stablehlo.compare LT, %a, %b, TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>\n"
            "%eq = stablehlo.compare EQ, %a, %b, TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>\n"
            "%lt2 = stablehlo.compare LT, %o0, %o1, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>\n"
            "%both = stablehlo.and %eq, %lt2 : tensor<i1>\n%p = stablehlo.or %lt, %both : tensor<i1>")
    order = sorted(range(30), key=lambda i: (k[i], v[i], i))
    yield value(name, sort_module(30, F32, comparator("", "", F32, 2, body=body), payload=True), [k, v], [k[order], v[order]])
    name = "sort/rows-of-a-matrix"
    rng = rng_for(name)
    m = rng.integers(-5, 5, (4, 7)).astype(I32)
    text = func([("m", "tensor<4x7xi32>")], ["tensor<4x7xi32>"], [
        '%r = "stablehlo.sort"(%m) ({\n' + textwrap.indent(comparator("LT", "SIGNED", I32), "  ") + "\n}) {dimension = 1 : i64, is_stable = true} : (tensor<4x7xi32>) -> tensor<4x7xi32>"
    ], ["%r"])
    yield value(name, text, [m], [np.sort(m, axis=1)])
    # No strict weak order: no one sorted result is defined; a permutation is.
    for label, body in (
        ("float-lt-with-nans", "%p = stablehlo.compare LT, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>"),
        ("le", "%p = stablehlo.compare LE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>"),
        ("one-sided", "%z = stablehlo.constant dense<1.0> : tensor<f32>\n%p = stablehlo.compare LT, %a, %z, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>"),
    ):
        name = f"sort/no-strict-weak-order-{label}"
        rng = rng_for(name)
        x = rng.choice(np.array(specials, F32), 48)
        yield Case(name, sort_module(48, F32, comparator("", "", F32, 2, body=body), payload=True), VALUE,
                   inputs=(x, np.arange(48, dtype=I32)), check=check_permutation)


# --- pad, reduce_window and select_and_scatter --------------------------------------------

def pad_reference(x: np.ndarray, value, low, high, interior) -> np.ndarray:
    """The spec: interior padding, then edges; a negative edge crops."""
    shape = [lo + hi + (n + max(n - 1, 0) * it) for n, lo, hi, it in zip(x.shape, low, high, interior)]
    result = np.full(shape, value, x.dtype)
    for at in np.ndindex(*x.shape):
        position = tuple(lo + k * (it + 1) for k, lo, it in zip(at, low, interior))
        if all(0 <= p < n for p, n in zip(position, shape)):
            result[position] = x[at]
    return result


def pad_cases() -> Iterator[Case]:
    configs = [
        ("negative-both-ends", (5, 4), [-2, 1], [-1, -3], [0, 0]),
        ("interior-and-negative", (5, 4), [-3, 2], [-2, -3], [1, 0]),
        ("negative-beyond-the-input", (3, 3), [-10, 0], [9, 0], [0, 0]),
        ("crop-to-nothing", (5, 4), [-5, 0], [0, 0], [0, 0]),
        ("interior-on-size-one", (1, 4), [0, 0], [0, 0], [1000, 2]),
        ("empty-operand", (0, 3), [2, 1], [1, -1], [3, 0]),
        ("huge-negative-both-ways", (3, 3), [2**31 - 8, -(2**31 - 8)], [-(2**31 - 8), 2**31 - 6], [0, 0]),
        ("huge-interior-cropped", (3,), [0], [-(2 * 10**9)], [10**9]),
    ]
    for label, shape, low, high, interior in configs:
        name = f"pad/{label}"
        rng = rng_for(name)
        x = float_data(rng, shape) if np.prod(shape) >= 3 else np.ones(shape, F32)
        want = pad_reference(x, np.float32(-7.5), low, high, interior)
        text = func([("x", tt(shape, F32)), ("v", "tensor<f32>")], [tt(want.shape, F32)], [
            f"%r = stablehlo.pad %x, %v, low = {list(low)}, high = {list(high)}, interior = {list(interior)} : ({tt(shape, F32)}, tensor<f32>) -> {tt(want.shape, F32)}"
        ], ["%r"])
        yield value(name, text, [x, np.float32(-7.5)], [want])
    yield from convolution_cases()


def convolution_reference(x, w, low, high, lhs_dilation, rhs_dilation) -> np.ndarray:
    """A 1-D convolution (the spec's: no kernel flip) with padding (negative
    crops) and dilations."""
    dilated = np.zeros((len(x) - 1) * lhs_dilation + 1, np.float64)
    dilated[::lhs_dilation] = x
    padded = list(dilated)
    padded = [0.0] * low + padded if low >= 0 else padded[-low:]
    padded = padded + [0.0] * high if high >= 0 else padded[: len(padded) + high]
    span = (len(w) - 1) * rhs_dilation + 1
    return np.array([sum(padded[k + j * rhs_dilation] * w[j] for j in range(len(w))) for k in range(max(len(padded) - span + 1, 0))], F32)


def convolution_cases() -> Iterator[Case]:
    x, w = np.arange(1, 9, dtype=F32), np.array([1, 10, 100], F32)
    for low, high, lhs, rhs in ((-1, -2, 1, 1), (-3, 2, 2, 1), (2, -4, 1, 2), (-5, -5, 3, 2), (-9, -9, 4, 1)):
        want = convolution_reference(x, w, low, high, lhs, rhs)
        out = f"tensor<1x1x{len(want)}xf32>"
        text = func([("x", "tensor<1x1x8xf32>"), ("w", "tensor<1x1x3xf32>")], [out], [
            f"%r = stablehlo.convolution(%x, %w) dim_numbers = [b, f, 0]x[o, i, 0]->[b, f, 0], window = {{stride = [1], pad = [[{low}, {high}]], "
            f"lhs_dilate = [{lhs}], rhs_dilate = [{rhs}]}} {{batch_group_count = 1 : i64, feature_group_count = 1 : i64}} : "
            f"(tensor<1x1x8xf32>, tensor<1x1x3xf32>) -> {out}"
        ], ["%r"])
        yield value(f"pad/convolution-pad-{low}-{high}-dilate-{lhs}-{rhs}", text, [x.reshape(1, 1, 8), w.reshape(1, 1, 3)], [want.reshape(1, 1, -1)])


REDUCE_WINDOWS = [
    # label, n, window, stride, (low, high), base dilation, window dilation, reducer, init
    ("padded", 6, 3, 2, (1, 2), 1, 1, "add", 0.0),
    ("base-dilated", 6, 2, 1, (0, 0), 2, 1, "add", 0.0),
    ("window-dilated", 6, 2, 1, (0, 0), 1, 2, "maximum", -np.inf),
    ("both-dilated", 5, 3, 2, (2, 1), 2, 2, "maximum", -np.inf),
    ("negative-padding", 5, 3, 1, (-2, 3), 2, 1, "minimum", np.inf),
    ("window-wider-than-input", 4, 6, 1, (5, 5), 1, 1, "maximum", -np.inf),
    ("init-is-not-an-identity", 6, 3, 1, (2, 2), 1, 1, "add", 100.0),
    ("nothing-fits", 4, 9, 1, (0, 0), 1, 1, "add", 0.0),
]





def reduce_window_cases() -> Iterator[Case]:
    for label, n, window, stride, padding, base, dilation, reducer, init in REDUCE_WINDOWS:
        name = f"reduce_window/{label}"
        x = rng_for(name).integers(-9, 10, n).astype(F32)
        want = np.array(reduce_window_spec(list(x), np.float32(init), window, stride, padding, base, dilation, reducer), F32)
        text = func([("x", tt((n,), F32)), ("init", "tensor<f32>")], [tt(want.shape, F32)], [
            '%r = "stablehlo.reduce_window"(%x, %init) ({\n'
            + textwrap.indent(region("ab", f"%s = stablehlo.{reducer} %a, %b : tensor<f32>\nstablehlo.return %s : tensor<f32>", F32), "  ")
            + f"\n}}) {{window_dimensions = array<i64: {window}>, window_strides = array<i64: {stride}>, base_dilations = array<i64: {base}>, "
            f"window_dilations = array<i64: {dilation}>, padding = dense<[[{padding[0]}, {padding[1]}]]> : tensor<1x2xi64>}} : ({tt((n,), F32)}, tensor<f32>) -> {tt(want.shape, F32)}"
        ], ["%r"])
        yield value(name, text, [x, np.float32(init)], [want])


SELECTS = {
    "ge": ("%p = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>", lambda c, e: c >= e),
    "lt": ("%p = stablehlo.compare LT, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>", lambda c, e: c < e),
    "never": ("%p = stablehlo.constant dense<false> : tensor<i1>", lambda c, e: False),
    "always": ("%p = stablehlo.constant dense<true> : tensor<i1>", lambda c, e: True),
}


def select_and_scatter_reference(x, source, select, window, stride, padding=None) -> np.ndarray:
    """XLA's order: in each window, the current element c stays over a
    candidate e (row-major, padding never offered) when select(c, e); the
    source adds to it."""
    padding = padding or [(0, 0)] * len(window)
    result = np.zeros_like(x)
    for w in np.ndindex(*source.shape):
        starts = [k * s - low for k, s, (low, _) in zip(w, stride, padding)]
        cells = [tuple(a + b for a, b in zip(starts, off)) for off in np.ndindex(*window)]
        cells = [c for c in cells if all(0 <= i < n for i, n in zip(c, x.shape))]
        chosen = cells[0]
        for cell in cells[1:]:
            if not select(x[chosen], x[cell]):
                chosen = cell
        result[chosen] += source[w]
    return result


def select_and_scatter_text(shape, window, stride, select_body, padding: str = "") -> tuple[str, tuple]:
    out = tuple((n - w) // s + 1 for n, w, s in zip(shape, window, stride))
    x_t, s_t = tt(shape, F32), tt(out, F32)
    attrs = f"window_dimensions = array<i64: {', '.join(map(str, window))}>, window_strides = array<i64: {', '.join(map(str, stride))}>{padding}"
    text = func([("x", x_t), ("s", s_t), ("i", "tensor<f32>")], [x_t], [
        '%r = "stablehlo.select_and_scatter"(%x, %s, %i) ({\n'
        + textwrap.indent(region("ab", f"{select_body}\nstablehlo.return %p : tensor<i1>", F32), "  ")
        + "\n}, {\n"
        + textwrap.indent(region("ab", "%t = stablehlo.add %a, %b : tensor<f32>\nstablehlo.return %t : tensor<f32>", F32), "  ")
        + f"\n}}) {{{attrs}}} : ({x_t}, {s_t}, tensor<f32>) -> {x_t}"
    ], ["%r"])
    return text, out


def select_and_scatter_cases() -> Iterator[Case]:
    for label, (body, select) in SELECTS.items():
        for shape, window in (((12,), (3,)), ((6, 4), (2, 2))):
            name = f"select_and_scatter/{label}-{'x'.join(map(str, shape))}"
            rng = rng_for(name)
            x = rng.integers(0, 3, shape).astype(F32)  # ties everywhere
            x.reshape(-1)[rng.integers(0, x.size, 2)] = np.nan
            text, out = select_and_scatter_text(shape, window, window, body)
            source = rng.integers(1, 9, out).astype(F32)
            yield value(name, text, [x, source, np.float32(0)], [select_and_scatter_reference(x, source, select, window, window)])
    # IREE 3.13 lowers only windows that tile the operand; the sandbox's
    # decomposition takes overlapping and padded ones too, which must give
    # XLA's values, never a crash or an uninitialized read.
    for label, shape, window, stride, padding in (
        ("overlapping-windows", (10,), (3,), (2,), [(0, 0)]),
        ("padding", (9,), (3,), (3,), [(1, 2)]),
    ):
        name = f"select_and_scatter/{label}"
        rng = rng_for(name)
        x = rng.integers(0, 3, shape).astype(F32)
        attr = f", padding = dense<[[{padding[0][0]}, {padding[0][1]}]]> : tensor<1x2xi64>"
        text, _ = select_and_scatter_text(shape, window, stride, SELECTS["ge"][0], padding=attr)
        out = tuple((n + lo + hi - w) // s + 1 for n, w, s, (lo, hi) in zip(shape, window, stride, padding))
        text = text.replace(f"tensor<{(shape[0] - window[0]) // stride[0] + 1}xf32>", f"tensor<{out[0]}xf32>")
        source = rng.integers(1, 9, out).astype(F32)
        want = select_and_scatter_reference(x, source, SELECTS["ge"][1], window, stride, padding)
        yield value(name, text, [x, source, np.float32(0)], [want])
    # The decomposition grows with the window: a larger one is refused.
    text, _ = select_and_scatter_text((100,), (65,), (1,), SELECTS["ge"][0])
    yield rejected("select_and_scatter/window-too-large", text, "takes windows of at most 64 elements; this one has 65")


# --- through the compiler worker (isolate=True) ----------------------------------------------

def isolated_cases() -> Iterator[Case]:
    from webtensor.compiler.gate import InputLimits
    from webtensor.compiler.worker import IsolationLimits

    isolated = {"isolate": True}
    rng = rng_for("isolated/gather")
    operand = float_data(rng, (10, 3))
    indices = mixed_indices(rng, I64, 10, 1).reshape(-1, 1)
    yield gather_case("isolated/gather-out-of-bounds", operand, indices, options=isolated, slice_sizes=(1, 3), **ROWS)
    gather = next(c for c in gather_cases() if c.name == "gather/rows-i64")
    for label, version in (("oldest", None), ("newest", "current")):
        from jaxlib.mlir.dialects import stablehlo

        artifact = portable_artifact(gather.source, stablehlo.get_current_version() if version else None)
        yield Case(f"isolated/portable-artifact-{label}", artifact, VALUE, inputs=gather.inputs, want=gather.want, options=isolated)
        if version is None:
            yield rejected("isolated/portable-artifact-truncated", artifact[: len(artifact) * 2 // 3], "<bytes>:0:0: error: attempting to parse", options=isolated)
    yield rejected("isolated/custom-call", in_main("%y = stablehlo.custom_call @host_callback(%x) : (tensor<4xf32>) -> tensor<4xf32>", returns=("%y",)),
                   "'stablehlo.custom_call' is not allowed", options=isolated)
    yield budget("isolated/infinite-loop", func([("n", SCALAR_I32)], [SCALAR_I32], [infinite("%r", "%n")], ["%r"]), [np.int32(0)], fuel=Iterations(2000), options=isolated)
    for name, signal_name in (
        ("segfaults-iree-bytecode-reader", "SIGSEGV"),
        ("double-free-iree-bytecode-reader", "SIGABRT"),
        ("segfaults-jaxlib-deserializer", "SIGSEGV"),
    ):
        yield rejected(f"isolated/{name}", (FUZZ_INPUTS / f"{name}.mlirbc").read_bytes(), f"the compiler crashed ({signal_name})", options=isolated)
    yield rejected(
        "isolated/hangs-jaxlib-deserializer", (FUZZ_INPUTS / "hangs-jaxlib-deserializer.mlirbc").read_bytes(),
        "exceeded its 3 s time limit", options={"isolate": True, "isolation_limits": IsolationLimits(wall_seconds=3)},
    )
    yield rejected(
        "isolated/non-utf8-diagnostic", (FUZZ_INPUTS / "non-utf8-diagnostic.mlirbc").read_bytes(),
        "the parser's message quotes bytes that are not UTF-8", options=isolated,
    )
    lifted = {"isolate": True, "input_limits": InputLimits(max_depth=10**7)}
    yield rejected("isolated/parser-stack-overflow", "module {\n" * 100_000 + "}\n" * 100_000, "the compiler crashed (SIGSEGV)", options=lifted)


FAMILIES: dict[str, Callable[[], Iterator[Case]]] = {
    "gather": gather_cases,
    "scatter": scatter_cases,
    "dynamic_slice": dynamic_slice_cases,
    "integer": integer_cases,
    "float_to_int": float_to_int_cases,
    "boolean": boolean_cases,
    "loops": loop_cases,
    "control": control_cases,
    "call_graph": call_graph_cases,
    "iree_internal": iree_internal_cases,
    "forbidden": forbidden_cases,
    "sizes": sizes_cases,
    "malformed": malformed_cases,
    "nesting": nesting_cases,
    "sort": sort_cases,
    "pad": pad_cases,
    "reduce_window": reduce_window_cases,
    "select_and_scatter": select_and_scatter_cases,
    "isolated": isolated_cases,
    "package": lambda: package_cases(),
}


def package_cases() -> Iterator[Case]:
    """Every sandboxed case with a defined value or a budget error, shipped
    as a package: the profile and the sandbox apply to packages exactly as
    to StableHLO input, so the outcome is the same."""
    for family, make in FAMILIES.items():
        if family == "package":
            continue
        for case in make():
            if case.expect in (VALUE, BUDGET) and case.options.get("sandbox", True) and isinstance(case.source, str):
                yield dataclasses.replace(case, name=f"package/{case.name}", via_package=True)


def all_cases(families: list[str] | None = None) -> list[Case]:
    """Every case of `families` (default: all), in a fixed order; names are unique."""
    unknown = sorted(set(families or ()) - set(FAMILIES))
    if unknown:
        raise ValueError(f"unknown families {unknown}; valid: {sorted(FAMILIES)}")
    cases = [case for family in (families or FAMILIES) for case in FAMILIES[family]()]
    seen = set()
    for case in cases:
        if case.name in seen:
            raise ValueError(f"duplicate case name {case.name}")
        if case.family not in FAMILIES:
            raise ValueError(f"case {case.name} is outside its family")
        seen.add(case.name)
    return cases
