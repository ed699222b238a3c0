"""What torch-mlir's StableHLO needs before WebTensor's front gate sees it.

Both the PyTorch and the ONNX frontend lower through torch-mlir, whose
StableHLO mixes in a few ops the profile leaves out although nothing about
them is dynamic:

- `arith.constant` of a tensor: becomes `stablehlo.constant` (same value);
- `stablehlo.dynamic_iota`, `dynamic_reshape`, `dynamic_broadcast_in_dim`
  whose result type is static (shapes torch-mlir computed at run time from
  constants, `torch.arange(x.shape[1])`): become `iota`, `reshape`,
  `broadcast_in_dim`. With a dynamic result they stay, for the profile to
  refuse at their location.

A `dense_resource` constant is refused: the bindings cannot read its bytes,
and the frontends write literals as `dense` in the first place.

This runs on torch-mlir's own MLIR objects, before the program is printed
as text for IREE's MLIR build.
"""

from __future__ import annotations

from ..diagnostics import CompileError


def legalize(module, source_name: str) -> None:
    """Rewrites `module` (a torch_mlir.ir.Module of StableHLO) in place."""
    from torch_mlir import ir

    found, resources = [], []

    def visit(op):
        if op.name in _REWRITES:
            found.append(op)
        if any(isinstance(op.attributes[name], ir.DenseResourceElementsAttr) for name in op.attributes):
            resources.append(op)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    if resources:
        raise CompileError(f"{source_name}: a tensor literal stayed a dense_resource blob, which WebTensor cannot read, at {resources[0].location}")
    for op in found:
        result_type = op.result.type
        if not isinstance(result_type, ir.RankedTensorType) or not result_type.has_static_shape:
            continue
        with ir.InsertionPoint(op), op.location:
            replacement = _REWRITES[op.name](op, result_type)
        op.result.replace_all_uses_with(replacement.result)
        op.erase()


def _constant(op, result_type):
    from torch_mlir import ir

    return ir.Operation.create("stablehlo.constant", results=[result_type], attributes={"value": op.attributes["value"]})


def _iota(op, result_type):
    from torch_mlir import ir

    return ir.Operation.create("stablehlo.iota", results=[result_type], attributes={"iota_dimension": op.attributes["iota_dimension"]})


def _reshape(op, result_type):
    from torch_mlir import ir

    return ir.Operation.create("stablehlo.reshape", results=[result_type], operands=[op.operands[0]])


def _broadcast(op, result_type):
    from torch_mlir import ir

    return ir.Operation.create(
        "stablehlo.broadcast_in_dim",
        results=[result_type],
        operands=[op.operands[0]],
        attributes={"broadcast_dimensions": op.attributes["broadcast_dimensions"]},
    )


_REWRITES = {
    "arith.constant": _constant,
    "stablehlo.dynamic_iota": _iota,
    "stablehlo.dynamic_reshape": _reshape,
    "stablehlo.dynamic_broadcast_in_dim": _broadcast,
}


def describe(error: Exception) -> str:
    """The first diagnostic of a failed torch-mlir pipeline (an MLIRError's,
    or the first line after torch-mlir's own header), else the first line."""
    diagnostics = getattr(error, "error_diagnostics", None)
    if diagnostics:
        first = diagnostics[0]
        return f"{first.location}: {first.message}"
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    for line in lines:
        if "error:" in line:
            return line
    return lines[0] if lines else type(error).__name__
