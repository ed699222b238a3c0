"""Entry-point signatures: read from the module's types, named by the frontend,
and written into IREE's function reflection for the runtime to read back."""

from __future__ import annotations

import dataclasses
import json

from iree.compiler import ir

from ..dialects import stablehlo as shlo
from ..dialects.profile import Limits
from ..passes.verify_dynamic_shapes import GROUPS_ATTR
from ..passes.verify_profile import dynamic_bound
from ..passes.sandbox_fuel import FUEL_ATTR
from ..runtime import dtypes
from ..runtime.artifact import TARGET_KEY
from ..runtime.signature import REFLECTION_KEY, FunctionSignature, TensorSpec
from .diagnostics import CompileError, Diagnostic, source_location
from .frontends import EntryPointHint

REFLECTION_ATTR = "iree.reflection"


def entry_points(module: ir.Module) -> list[ir.Operation]:
    return [
        f for f in shlo.functions(module.operation) if shlo.is_public(f) and not shlo.is_declaration(f)
    ]


def read_signatures(
    module: ir.Module, hints: dict[str, EntryPointHint], source_name: str, limits: Limits = Limits()
) -> dict[str, FunctionSignature]:
    signatures, problems = {}, []
    for func in entry_points(module):
        name = shlo.symbol_name(func)
        try:
            signatures[name] = _with_dynamic_dims(_signature(func, name, hints.get(name)), func, limits)
        except ValueError as e:
            problems.append(Diagnostic("error", str(e), source_location(func.location)))
    if problems:
        raise CompileError("unsupported entry point types", problems, source_name=source_name)
    if not signatures:
        raise CompileError(f"{source_name}: the module has no public function to run")
    return signatures


def _signature(func: ir.Operation, name: str, hint: EntryPointHint | None) -> FunctionSignature:
    ftype = shlo.function_type(func)
    inputs = [_tensor_spec(t, f"arg{i}", f"@{name} argument {i}") for i, t in enumerate(ftype.inputs)]
    outputs = [_tensor_spec(t, f"result{i}", f"@{name} result {i}") for i, t in enumerate(ftype.results)]
    if hint is None or len(hint.input_names) != len(inputs) or len(hint.output_names) != len(outputs):
        return FunctionSignature.flat(name, inputs, outputs)
    inputs = [TensorSpec(n, t.shape, t.dtype, t.bounds) for n, t in zip(hint.input_names, inputs)]
    outputs = [TensorSpec(n, t.shape, t.dtype, t.bounds) for n, t in zip(hint.output_names, outputs)]
    return FunctionSignature(
        name, tuple(inputs), tuple(outputs), hint.input_tree, hint.output_tree, hint.arg_names
    )


def _with_dynamic_dims(signature: FunctionSignature, func: ir.Operation, limits: Limits) -> FunctionSignature:
    """Bounds for every dynamic input dim, and which of them must be equal
    (from webtensor-verify-dynamic-shapes). Equal dims share the smallest bound."""
    if GROUPS_ATTR not in func.attributes:
        return signature
    groups = json.loads(ir.StringAttr(func.attributes[GROUPS_ATTR]).value)
    del func.attributes[GROUPS_ATTR]
    input_types = list(shlo.function_type(func).inputs)
    bounds = {
        (i, d): dynamic_bound(ir.RankedTensorType(t), d, limits)
        for i, t in enumerate(input_types)
        for d in range(ir.RankedTensorType(t).rank)
        if ir.RankedTensorType(t).is_dynamic_dim(d)
    }
    equal = tuple(tuple((i, d) for i, d in group) for group in groups["equal"])
    fixed = tuple((tuple((i, d) for i, d in group), size) for group, size in groups["fixed"])
    for group in equal:
        shared = min(b for b in (bounds[m] for m in group) if b is not None)
        bounds.update({m: shared for m in group})
    for group, size in fixed:
        bounds.update({m: size for m in group})
    inputs = tuple(
        dataclasses.replace(spec, bounds=tuple(bounds.get((i, d)) for d in range(len(spec.shape))))
        if any(s is None for s in spec.shape)
        else spec
        for i, spec in enumerate(signature.inputs)
    )
    return dataclasses.replace(signature, inputs=inputs, equal_dims=equal, fixed_dims=fixed)


def _tensor_spec(mlir_type: ir.Type, name: str, what: str) -> TensorSpec:
    if not isinstance(mlir_type, ir.RankedTensorType):
        raise ValueError(f"{what} has type {mlir_type}; entry points take and return ranked tensors only")
    element = dtypes.BY_MLIR.get(str(mlir_type.element_type))
    if element is None:
        raise ValueError(
            f"{what} has element type {mlir_type.element_type}, which the runtime cannot pass; "
            f"supported: {', '.join(dtypes.BY_MLIR)}"
        )
    shape = tuple(None if mlir_type.is_dynamic_dim(i) else mlir_type.get_dim_size(i) for i in range(mlir_type.rank))
    return TensorSpec(name, shape, element.name)


def attach(module: ir.Module, signatures: dict[str, FunctionSignature], target: str) -> None:
    """Writes each signature into its function's `iree.reflection` dictionary.

    A function the sandbox gave an iteration budget (marked `webtensor.fuel`)
    has its signature say so, for the runtime to pass the budget."""
    context = module.context
    for func in entry_points(module):
        name = shlo.symbol_name(func)
        signature = signatures[name]
        if FUEL_ATTR in func.attributes:
            del func.attributes[FUEL_ATTR]
            signature = dataclasses.replace(signature, fuel=True)
        entries = {}
        if REFLECTION_ATTR in func.attributes:
            entries = {a.name: a.attr for a in ir.DictAttr(func.attributes[REFLECTION_ATTR])}
        entries[REFLECTION_KEY] = ir.StringAttr.get(signature.to_json(), context=context)
        entries[TARGET_KEY] = ir.StringAttr.get(target, context=context)
        func.attributes[REFLECTION_ATTR] = ir.DictAttr.get(entries, context=context)
