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

- `stablehlo.reduce_window` whose padding reaches past the last window
  (ceil-mode pooling: torch-mlir pads the high side by a whole stride):
  the high padding is cut to what the windows read. Same result; IREE
  3.13 fails to compile the longer form ("inferred input/output operand
  #1 has shape's dimension #0 to be 4, but found 3").

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

    found, resources, windows = [], [], []

    def visit(op):
        if op.name in _REWRITES:
            found.append(op)
        if op.name == "stablehlo.reduce_window":
            windows.append(op)
        if any(isinstance(op.attributes[name], ir.DenseResourceElementsAttr) for name in op.attributes):
            resources.append(op)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    for op in windows:
        _trim_window_padding(op)
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


def _trim_window_padding(op) -> None:
    """Cuts high padding that no window reads. With a static input and no
    base dilation only: dimension d of the padded input has `low + size +
    high` elements, of which the windows read `(out - 1) * stride +
    (window - 1) * dilation + 1`."""
    import numpy as np
    from torch_mlir import ir

    attributes = op.attributes
    if "padding" not in attributes or "base_dilations" in attributes:
        return
    shape_type = ir.RankedTensorType(op.operands[0].type)
    if not shape_type.has_static_shape:
        return
    padding = np.array(ir.DenseIntElementsAttr(attributes["padding"]), dtype=np.int64).reshape(-1, 2)
    rank = shape_type.rank
    window = _ints(attributes, "window_dimensions", [1] * rank)
    strides = _ints(attributes, "window_strides", [1] * rank)
    dilations = _ints(attributes, "window_dilations", [1] * rank)
    trimmed = padding.copy()
    for d in range(rank):
        low, high = (int(v) for v in padding[d])
        padded = low + shape_type.get_dim_size(d) + high
        extent = (window[d] - 1) * dilations[d] + 1
        if padded < extent:
            return  # an empty result: nothing to trim
        read = (padded - extent) // strides[d] * strides[d] + extent
        if high > 0 and padded > read:
            trimmed[d][1] = high - min(high, padded - read)
    if (trimmed != padding).any():
        attributes["padding"] = ir.DenseIntElementsAttr.get(trimmed, context=op.context)


def _ints(attributes, name: str, default: list[int]) -> list[int]:
    from torch_mlir import ir

    return list(ir.DenseI64ArrayAttr(attributes[name])) if name in attributes else default


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
