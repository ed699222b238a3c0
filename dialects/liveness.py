"""An estimate of the peak memory of one call, from SSA liveness.

A tensor is counted from the op that defines it to the last op that uses it
(a use inside a nested region counts as a use by the op that holds the
region). The peak of a block is the largest sum of live tensors at any op,
plus whatever that op's own regions need at their peak. It is an estimate:
IREE may fuse tensors away or reuse buffers, but it never needs memory for
two values at once that this count would not also hold.
"""

from __future__ import annotations

from iree.compiler import ir


def element_bytes(element: ir.Type) -> int:
    if isinstance(element, ir.ComplexType):
        return 2 * element_bytes(element.element_type)
    width = element.width
    return max(1, (width + 7) // 8)


def tensor_bytes(t: ir.Type, dim_bound) -> int:
    """Bytes of a tensor type; `dim_bound(t, i)` sizes dynamic dims."""
    if not isinstance(t, ir.RankedTensorType):
        return 0
    count = 1
    for i in range(t.rank):
        count *= dim_bound(t, i) if t.is_dynamic_dim(i) else t.get_dim_size(i)
    return count * element_bytes(t.element_type)


def peak_bytes(block: ir.Block, dim_bound) -> int:
    """Peak live bytes while `block` runs, its arguments included."""
    ops = list(block.operations)
    last_use = _last_uses(block, ops)
    dies_at: dict[int, list[ir.Value]] = {}
    for value, index in last_use.items():
        dies_at.setdefault(index, []).append(value)
    live: dict[ir.Value, int] = {}
    for arg in block.arguments:
        live[arg] = tensor_bytes(arg.type, dim_bound)
    current = sum(live.values())
    peak = current
    for index, op in enumerate(ops):
        nested = max((peak_bytes(b, dim_bound) for r in op.regions for b in r.blocks), default=0)
        produced = sum(tensor_bytes(r.type, dim_bound) for r in op.results)
        peak = max(peak, current + produced + nested)
        current += produced
        for result in op.results:
            live[result] = tensor_bytes(result.type, dim_bound)
        for value in dies_at.get(index, ()):
            if value in live:
                current -= live.pop(value)
        # A result nobody uses dies right away.
        for result in op.results:
            if result in live and result not in last_use:
                current -= live.pop(result)
    return peak


def _last_uses(block: ir.Block, ops: list) -> dict[ir.Value, int]:
    """For each value used in `block`, the index of the last op that uses it."""
    last: dict[ir.Value, int] = {}
    for index, op in enumerate(ops):
        for used in _used_values(op.operation):
            last[used] = index
    return last


def _used_values(op: ir.Operation):
    stack = [op]
    while stack:
        current = stack.pop()
        yield from current.operands
        for region in current.regions:
            for block in region.blocks:
                stack.extend(inner.operation for inner in block.operations)
