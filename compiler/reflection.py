"""Entry-point signatures: read from the module's types, named by the frontend,
and written into IREE's function reflection for the runtime to read back."""

from __future__ import annotations

import dataclasses
import json

from iree.compiler import ir

from ..dialects.walk import function_type, functions, is_declaration, is_public, symbol_name
from ..dialects.profile import Limits, dynamic_bound
from ..dialects.webtensor import COST_ATTR, FUEL_ATTR, GROUPS_ATTR, LOOP_COSTS_ATTR, WEIGHT_ATTR
from ..runtime import dtypes
from ..runtime.signature import REFLECTION_KEY, TARGET_KEY, FunctionSignature, TensorSpec
from .diagnostics import CompileError, Diagnostic, source_location
from .frontends import EntryPointHint

REFLECTION_ATTR = "iree.reflection"


def entry_points(module: ir.Module) -> list[ir.Operation]:
    return [
        f for f in functions(module.operation) if is_public(f) and not is_declaration(f)
    ]


@dataclasses.dataclass(frozen=True)
class EntryPoint:
    """A compiled function's signature, and which of its program's
    arguments are weights (argument index to weight name)."""

    signature: FunctionSignature
    weight_args: dict[int, str]


def read_signatures(
    module: ir.Module,
    hints: dict[str, EntryPointHint],
    source_name: str,
    limits: Limits = Limits(),
    named_weights: tuple[TensorSpec, ...] = (),
) -> dict[str, EntryPoint]:
    """Every public function's signature, checked against what the frontend
    declared. `named_weights` (StableHLO with a weights file) are found by
    the arguments' own names in functions without a hint."""
    entries, problems, found = {}, [], set()
    for func in entry_points(module):
        name = symbol_name(func)
        try:
            entry = _entry_point(func, name, hints.get(name), named_weights)
            entries[name] = EntryPoint(_with_dynamic_dims(entry.signature, func, limits, entry.weight_args), entry.weight_args)
            found.update(entry.weight_args.values())
        except ValueError as e:
            problems.append(Diagnostic("error", str(e), source_location(func.location)))
    missing = [w.name for w in named_weights if w.name not in found]
    if missing and not problems:
        arguments = ", ".join(_argument_name(f, i) for f in entry_points(module) for i in range(len(function_type(f).inputs)))
        raise CompileError(
            f"{source_name}: no function has an argument named as weight(s) {', '.join(missing)} "
            f"(arguments are named by their loc, as jax.export writes, else argN: {arguments})"
        )
    if problems:
        raise CompileError("unsupported entry point types", problems, source_name=source_name)
    if not entries:
        raise CompileError(f"{source_name}: the module has no public function to run")
    return entries


def _entry_point(func: ir.Operation, name: str, hint: EntryPointHint | None, named_weights) -> EntryPoint:
    ftype = function_type(func)
    arguments = [_tensor_spec(t, _argument_name(func, i), f"@{name} argument {i}") for i, t in enumerate(ftype.inputs)]
    outputs = [_tensor_spec(t, f"result{i}", f"@{name} result {i}") for i, t in enumerate(ftype.results)]
    if hint is None:
        return _by_argument_names(name, arguments, outputs, named_weights)
    if hint.input_types is None:
        return EntryPoint(_named_flat(name, hint, arguments, outputs), {})
    roles = hint.program_args if hint.program_args is not None else hint.input_names
    if len(roles) != len(arguments):
        raise ValueError(f"@{name} takes {len(arguments)} arguments, but its interface declares {len(roles)}")
    declared = {spec.name: spec for spec in hint.input_types + hint.weights}
    input_index = {spec.name: i for i, spec in enumerate(hint.input_types)}
    inputs = list(hint.input_types)
    weight_args, passed = {}, []
    for i, (role, actual) in enumerate(zip(roles, arguments)):
        _check_declared(declared[role], actual, f"@{name} argument {i} ({role})")
        if role in input_index:
            passed.append(input_index[role])
            inputs[input_index[role]] = dataclasses.replace(actual, name=role)
            continue
        if None in actual.shape:
            raise ValueError(f"@{name} weight {role} has a dynamic shape; weights must have static shapes")
        weight_args[i] = role
    if passed != sorted(passed):
        raise ValueError(f"@{name} takes its inputs in another order than its interface declares")
    if len(hint.output_types) != len(outputs):
        raise ValueError(f"@{name} returns {len(outputs)} results, but its interface declares {len(hint.output_types)}")
    for i, (want, actual) in enumerate(zip(hint.output_types, outputs)):
        _check_declared(want, actual, f"@{name} result {i} ({want.name})")
    signature = FunctionSignature(
        name,
        tuple(inputs),
        tuple(dataclasses.replace(actual, name=want.name) for want, actual in zip(hint.output_types, outputs)),
        hint.input_tree,
        hint.output_tree,
        hint.arg_names,
        weights=hint.weights,
        weights_tree=hint.weights_tree,
        unused=tuple(i for i in range(len(inputs)) if i not in passed),
    )
    return EntryPoint(signature, weight_args)


def _named_flat(name: str, hint: EntryPointHint, arguments, outputs) -> FunctionSignature:
    """Names (and nesting) from the frontend on the program's own types."""
    if len(hint.input_names) != len(arguments) or len(hint.output_names) != len(outputs):
        return FunctionSignature.flat(name, arguments, outputs)
    inputs = [dataclasses.replace(t, name=n) for n, t in zip(hint.input_names, arguments)]
    results = [dataclasses.replace(t, name=n) for n, t in zip(hint.output_names, outputs)]
    return FunctionSignature(name, tuple(inputs), tuple(results), hint.input_tree, hint.output_tree, hint.arg_names)


def _by_argument_names(name: str, arguments, outputs, named_weights) -> EntryPoint:
    """A flat signature; arguments named as one of `named_weights` are weights."""
    by_name = {w.name: w for w in named_weights}
    inputs, weights, weight_args = [], [], {}
    for i, argument in enumerate(arguments):
        weight = by_name.get(argument.name)
        if weight is None:
            inputs.append(dataclasses.replace(argument, name=f"arg{len(inputs)}"))
            continue
        _check_declared(weight, argument, f"@{name} argument {i} ({argument.name})")
        weights.append(weight)
        weight_args[i] = weight.name
    signature = dataclasses.replace(FunctionSignature.flat(name, inputs, outputs), weights=tuple(weights))
    return EntryPoint(signature, weight_args)


def _argument_name(func: ir.Operation, index: int) -> str:
    """An argument's own name: its NameLoc (jax.export names arguments by
    their pytree path), else argN."""
    location = func.regions[0].blocks[0].arguments[index].location
    try:
        return ir.NameLoc(location).name_str
    except (ValueError, TypeError):
        return f"arg{index}"


def _check_declared(declared: TensorSpec, actual: TensorSpec, what: str) -> None:
    """The program's type must be the declared one; a declared dynamic
    dimension (None) matches only a dynamic one."""
    if declared.dtype != actual.dtype or tuple(declared.shape) != tuple(actual.shape):
        raise ValueError(f"{what} has type {actual.type_string()}, but its interface declares {declared.type_string()}")


def _with_dynamic_dims(
    signature: FunctionSignature, func: ir.Operation, limits: Limits, weight_args: dict[int, str]
) -> FunctionSignature:
    """Bounds for every dynamic input dim, and which of them must be equal
    (from webtensor-verify-dynamic-shapes). Equal dims share the smallest bound.
    The pass counts the program's arguments; the signature its inputs."""
    if GROUPS_ATTR not in func.attributes:
        return signature
    groups = json.loads(ir.StringAttr(func.attributes[GROUPS_ATTR]).value)
    del func.attributes[GROUPS_ATTR]
    passed = [i for i in range(len(signature.inputs)) if i not in signature.unused]
    program_inputs = [i for i in range(len(function_type(func).inputs)) if i not in weight_args]
    to_input = dict(zip(program_inputs, passed))
    input_types = list(function_type(func).inputs)
    bounds = {
        (to_input[i], d): dynamic_bound(ir.RankedTensorType(t), d, limits)
        for i, t in enumerate(input_types)
        if i in to_input
        for d in range(ir.RankedTensorType(t).rank)
        if ir.RankedTensorType(t).is_dynamic_dim(d)
    }
    equal = tuple(tuple((to_input[i], d) for i, d in group) for group in groups["equal"])
    fixed = tuple((tuple((to_input[i], d) for i, d in group), size) for group, size in groups["fixed"])
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


def attach(module: ir.Module, entries: dict[str, EntryPoint], target: str) -> None:
    """Writes each signature into its function's `iree.reflection` dictionary,
    and marks its weight arguments for webtensor-bind-weights.

    A function the sandbox gave a work budget (marked `webtensor.fuel`) has
    its signature say so, for the runtime to pass the budget; its price
    (`webtensor.cost`, `webtensor.loop_costs`) moves into the signature too."""
    context = module.context
    for func in entry_points(module):
        name = symbol_name(func)
        signature = entries[name].signature
        _mark_weights(func, entries[name].weight_args)
        if FUEL_ATTR in func.attributes:
            del func.attributes[FUEL_ATTR]
            signature = dataclasses.replace(signature, fuel=True)
        if COST_ATTR in func.attributes:
            signature = dataclasses.replace(
                signature,
                cost=ir.IntegerAttr(func.attributes[COST_ATTR]).value,
                loop_costs=tuple(ir.DenseI64ArrayAttr(func.attributes[LOOP_COSTS_ATTR])),
            )
            del func.attributes[COST_ATTR]
            del func.attributes[LOOP_COSTS_ATTR]
        reflection = {}
        if REFLECTION_ATTR in func.attributes:
            reflection = {a.name: a.attr for a in ir.DictAttr(func.attributes[REFLECTION_ATTR])}
        reflection[REFLECTION_KEY] = ir.StringAttr.get(signature.to_json(), context=context)
        reflection[TARGET_KEY] = ir.StringAttr.get(target, context=context)
        func.attributes[REFLECTION_ATTR] = ir.DictAttr.get(reflection, context=context)


def _mark_weights(func: ir.Operation, weight_args: dict[int, str]) -> None:
    if not weight_args:
        return
    context = func.context
    count = len(function_type(func).inputs)
    marks = [
        ir.DictAttr.get({WEIGHT_ATTR: ir.StringAttr.get(weight_args[i], context=context)}, context=context)
        if i in weight_args
        else ir.DictAttr.get({}, context=context)
        for i in range(count)
    ]
    func.attributes["arg_attrs"] = ir.ArrayAttr.get(marks, context=context)
