"""webtensor-bind-weights: weight arguments become IREE parameters.

An argument marked `{webtensor.weight = "NAME"}` leaves its function. In its
place the function loads a global initialised from the parameter
`"model"::NAME`, which the runtime binds when the model loads
(runtime/weights.py). Functions that read the same weight share its global.

IREE hoists the work that depends only on such globals (packing a matmul's
weights into the CPU's tile layout, with data tiling) into the module
initializer: it runs once, at load, instead of on every call, and the
artifact holds none of the weights' bytes.

Only the compiler marks arguments (compiler/reflection.py, from what the
frontend declares), after the sandbox: webtensor-strip-attributes has
removed every argument attribute a model brought, so no model names its own.
This is the one pass whose output is no longer plain StableHLO; it runs
where the IREE phases begin.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects.walk import function_type, functions, is_declaration
from ..dialects.webtensor import WEIGHT_ATTR
from .base import ModulePass, Report

SCOPE = "model"  # the runtime's parameter scope (runtime/weights.py SCOPE)
GLOBAL_PREFIX = "__webtensor_weight_"


@dataclasses.dataclass(frozen=True)
class BindWeights(ModulePass):
    name = "webtensor-bind-weights"
    summary = "Turn arguments marked as weights into globals initialised from named parameters"

    def run(self, module: ir.Operation, report: Report) -> None:
        globals_by_name: dict[str, str] = {}
        body = module.regions[0].blocks[0]
        for func in list(functions(module)):
            marked = _marked_arguments(func)
            if not marked:
                continue
            if is_declaration(func):
                report.error(func, "a function without a body cannot read weights")
                continue
            for index, weight in marked.items():
                if weight not in globals_by_name:
                    globals_by_name[weight] = _add_global(body, func, weight, len(globals_by_name), index)
            _replace_arguments(func, {index: globals_by_name[weight] for index, weight in marked.items()})


def _marked_arguments(func: ir.Operation) -> dict[int, str]:
    if "arg_attrs" not in func.attributes:
        return {}
    marked = {}
    for index, attrs in enumerate(ir.ArrayAttr(func.attributes["arg_attrs"])):
        attrs = ir.DictAttr(attrs)
        if WEIGHT_ATTR in attrs:
            marked[index] = ir.StringAttr(attrs[WEIGHT_ATTR]).value
    return marked


def _add_global(body: ir.Block, func: ir.Operation, weight: str, number: int, index: int) -> str:
    """A private global initialised from the parameter `"model"::weight`."""
    context = func.context
    value_type = function_type(func).inputs[index]
    symbol = f"{GLOBAL_PREFIX}{number}"
    key = ir.StringAttr.get(weight, context=context)
    initial = ir.Attribute.parse(f'#flow.parameter.named<"{SCOPE}"::{key}> : {value_type}', context=context)
    with ir.InsertionPoint.at_block_begin(body):
        ir.Operation.create(
            "util.global",
            attributes={
                "sym_name": ir.StringAttr.get(symbol, context=context),
                "sym_visibility": ir.StringAttr.get("private", context=context),
                "type": ir.TypeAttr.get(value_type, context=context),
                "initial_value": initial,
            },
            loc=func.location,
        )
    return symbol


def _replace_arguments(func: ir.Operation, symbols: dict[int, str]) -> None:
    """Each argument in `symbols` is loaded from its global instead, then erased."""
    block = func.regions[0].blocks[0]
    first = block.operations[0] if len(block.operations) else None
    for index, symbol in symbols.items():
        argument = block.arguments[index]
        with ir.InsertionPoint(first) if first is not None else ir.InsertionPoint(block):
            load = ir.Operation.create(
                "util.global.load",
                results=[argument.type],
                attributes={"global": ir.FlatSymbolRefAttr.get(symbol, context=func.context)},
                loc=func.location,
            )
        argument.replace_all_uses_with(load.result)
    kept = [i for i in range(len(block.arguments)) if i not in symbols]
    for index in sorted(symbols, reverse=True):
        block.erase_argument(index)
    ftype = function_type(func)
    inputs = [ftype.inputs[i] for i in kept]
    func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, list(ftype.results), context=func.context), context=func.context)
    arg_attrs = list(ir.ArrayAttr(func.attributes["arg_attrs"]))
    remaining = [arg_attrs[i] for i in kept]
    if any(len(ir.DictAttr(a)) for a in remaining):
        func.attributes["arg_attrs"] = ir.ArrayAttr.get(remaining, context=func.context)
    else:
        del func.attributes["arg_attrs"]
