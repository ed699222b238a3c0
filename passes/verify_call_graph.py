"""webtensor-verify-call-graph: refuse call graphs that the inliner cannot finish.

Legalization inlines every call, so before it runs: no function may call
itself, directly or through others (IREE spins forever on recursion), the
program may not grow past the op limit once every call is inlined (a chain
of functions that each call the next twice doubles at every level: thirty
levels are a billion ops), and calls may not nest deeper than the call-depth
limit (MLIR's inliner takes time cubic in the depth: a chain of 1,000
functions took 37 s, one of 5,000 would take hours). A composite's
decomposition counts as a call, since it is inlined the same way.
"""

from __future__ import annotations

import dataclasses

from iree.compiler import ir

from ..dialects import profile
from ..dialects.walk import (
    CALL,
    COMPOSITE,
    composite_decomposition,
    flat_symbol,
    functions,
    is_public,
    symbol_name,
    walk,
)
from .base import ModulePass, Report


@dataclasses.dataclass(frozen=True)
class VerifyCallGraph(ModulePass):
    name = "webtensor-verify-call-graph"
    summary = "Reject recursion and call chains that explode when inlined"

    max_ops: int = profile.Limits().max_ops
    max_call_depth: int = profile.Limits().max_call_depth

    def run(self, module: ir.Operation, report: Report) -> None:
        graph = _CallGraph(module)
        cycle = graph.find_cycle()
        if cycle:
            call_op, names = cycle
            report.error(call_op, f"recursive call {' -> '.join('@' + n for n in names)}: recursion is not allowed")
            return
        for func in graph.functions.values():
            if not is_public(func):
                continue
            depth = graph.call_depth(symbol_name(func))
            if depth > self.max_call_depth:
                report.error(
                    func,
                    f"@{symbol_name(func)} nests calls {depth} deep, above the limit of {self.max_call_depth}; "
                    "if the model is legitimate, raise Limits.max_call_depth (--limit=max_call_depth=N)",
                )
                continue
            size = graph.inlined_size(symbol_name(func))
            if size > self.max_ops:
                report.error(
                    func,
                    f"@{symbol_name(func)} grows to {size} ops once every call is inlined, "
                    f"above the limit of {self.max_ops}",
                )


class _CallGraph:
    def __init__(self, module: ir.Operation):
        self.functions = {symbol_name(f): f for f in functions(module)}
        self.calls: dict[str, list[tuple[ir.Operation, str]]] = {}
        self.own_size: dict[str, int] = {}
        for name, func in self.functions.items():
            ops = walk(func)
            self.own_size[name] = len(ops)
            self.calls[name] = [(op, _callee(op)) for op in ops if _callee(op) in self.functions]
        self._sizes: dict[str, int] = {}

    def find_cycle(self) -> tuple[ir.Operation, list[str]] | None:
        """A call op that closes a cycle, and the cycle's function names."""
        state: dict[str, str] = {}  # "open" while on the DFS path, then "done"
        for root in self.functions:
            found = self._dfs(root, state, [])
            if found:
                return found
        return None

    def _dfs(self, root: str, state: dict[str, str], path: list[str]):
        # Iterative DFS: a hostile call chain may be far deeper than Python's stack.
        stack = [(root, iter(self.calls[root]))]
        if state.get(root):
            return None
        state[root] = "open"
        path.append(root)
        while stack:
            name, edges = stack[-1]
            edge = next(edges, None)
            if edge is None:
                state[name] = "done"
                path.pop()
                stack.pop()
                continue
            call_op, callee = edge
            if state.get(callee) == "open":
                return call_op, path[path.index(callee):] + [callee]
            if state.get(callee) is None:
                state[callee] = "open"
                path.append(callee)
                stack.append((callee, iter(self.calls[callee])))
        return None

    def inlined_size(self, name: str) -> int:
        """Ops in `name` with every call replaced by its callee's body (no cycles)."""
        order = self._post_order(name)
        for current in order:
            if current not in self._sizes:
                self._sizes[current] = self.own_size[current] + sum(
                    self._sizes[callee] for _, callee in self.calls[current]
                )
        return self._sizes[name]

    def call_depth(self, name: str) -> int:
        """The most calls nested inside one another below `name` (no cycles)."""
        depths: dict[str, int] = {}
        for current in self._post_order(name):
            depths[current] = max((depths[callee] + 1 for _, callee in self.calls[current]), default=0)
        return depths[name]

    def _post_order(self, root: str) -> list[str]:
        order, seen, stack = [], {root}, [(root, iter(self.calls[root]))]
        while stack:
            name, edges = stack[-1]
            edge = next(edges, None)
            if edge is None:
                order.append(name)
                stack.pop()
                continue
            callee = edge[1]
            if callee not in seen:
                seen.add(callee)
                stack.append((callee, iter(self.calls[callee])))
        return order


def _callee(op: ir.Operation) -> str | None:
    if op.name == CALL:
        return flat_symbol(op, "callee")
    if op.name == COMPOSITE:
        return composite_decomposition(op)
    return None
