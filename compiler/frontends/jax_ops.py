"""Forbidden ops in a JAX export, reported at the user's line.

Some jax.numpy functions lower to host library calls: `jnp.linalg.cholesky`
becomes `stablehlo.custom_call @lapack_spotrf_ffi`. The profile forbids
custom calls, but such a call would not reach the profile check: its
attributes do not survive the trip from jaxlib's MLIR to IREE's as bytecode
("attempting to parse a byte at the end of the bytecode"). So the JAX
frontend looks for forbidden ops here, in jaxlib's own IR of the export, and
says what the profile would say, where the user called the function.
"""

from __future__ import annotations

from ...dialects.profile import FORBIDDEN
from ..diagnostics import CompileError, Diagnostic, source_location

# The StableHLO ops the profile forbids outright. (Calls are forbidden too,
# but legalization inlines them; JAX's exports are full of them.)
FORBIDDEN_OPS = {name: reason for name, reason in FORBIDDEN.items() if name.startswith("stablehlo.")}


def check(exported, source_name: str) -> None:
    """Raises CompileError if the exported program holds an op the profile forbids."""
    text = exported.mlir_module()
    # The op names are in the text as written; most exports hold none, and
    # those need not be parsed twice.
    if not any(name in text for name in FORBIDDEN_OPS):
        return
    from jax._src.interpreters import mlir as jax_mlir
    from jaxlib.mlir import ir as jax_ir

    module = jax_ir.Module.parse(text, context=jax_mlir.make_ir_context())
    callers = _callers(module)
    diagnostics = [
        Diagnostic("error", _message(op), _user_location(op, callers, jax_ir))
        for op in _walk(module.operation)
        if op.name in FORBIDDEN_OPS
    ]
    if diagnostics:
        raise CompileError(f"{source_name}: uses ops outside the WebTensor profile", diagnostics, source_name=source_name)


def _message(op) -> str:
    message = f"'{op.name}' is not allowed: {FORBIDDEN_OPS[op.name]}"
    if "call_target_name" in op.attributes:
        from jaxlib.mlir import ir as jax_ir

        target = jax_ir.StringAttr(op.attributes["call_target_name"]).value
        primitive = _name_of(op.location)
        made_by = f"{primitive} lowers to" if primitive else "the program calls"
        message += f" ({made_by} @{target}, a library on the exporting host)"
    return message


def _user_location(op, callers: dict[str, list], jax_ir):
    """The op's own file position, or that of a call of the function it is
    in: JAX puts a library function's ops in a private function, located by
    name only, and the user's line is on the call."""
    seen = set()
    while op is not None:
        found = source_location(op.location, jax_ir)
        if found:
            return found
        function = _enclosing_function(op)
        if function is None or function in seen or not callers.get(function):
            return None
        seen.add(function)
        op = callers[function][0]
    return None


def _enclosing_function(op) -> str | None:
    parent = op.parent
    while parent is not None and parent.name != "func.func":
        parent = parent.parent
    if parent is None:
        return None
    from jaxlib.mlir import ir as jax_ir

    return jax_ir.StringAttr(parent.attributes["sym_name"]).value


def _callers(module) -> dict[str, list]:
    callers: dict[str, list] = {}
    for op in _walk(module.operation):
        if op.name == "func.call":
            from jaxlib.mlir import ir as jax_ir

            callee = jax_ir.FlatSymbolRefAttr(op.attributes["callee"]).value
            callers.setdefault(callee, []).append(op)
    return callers


def _name_of(location) -> str | None:
    """The JAX primitive a NameLoc names ("cholesky"), if the location is one."""
    from jaxlib.mlir import ir as jax_ir

    try:
        return jax_ir.NameLoc(location).name_str
    except (ValueError, TypeError, AttributeError):
        return None


def _walk(op):
    for region in op.regions:
        for block in region.blocks:
            for inner in block.operations:
                yield inner
                yield from _walk(inner)
