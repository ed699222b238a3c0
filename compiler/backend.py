"""IREE as our backend: the flags for each target, and the VM flatbuffer."""

from __future__ import annotations

import ctypes
import math
import re
import shlex
from typing import Sequence

import iree.compiler.api as iree_api
from iree.compiler import ir
from iree.compiler.api import ctypes_dl

import dataclasses

from ..dialects.types import tensor_type
from ..dialects.walk import walk
from ..dialects.webtensor import LONG_ROW
from .diagnostics import CompileError, Diagnostic, SourceLocation
from .options import TRIPLE_FLAG, WASM32_TRIPLE, CompileOptions, Target
from .session import CompilerSession

# Speed flags IREE 3.13 leaves off by default, measured on the benchmark zoo
# (README, "Fast defaults"). Data tiling packs matmul operands into the CPU's
# register-tile layout (1.2x-3.6x on matmul models); with weights bound into
# the artifact, the packing of weights is folded at compile time. Aggressive
# fusion puts more producers into each dispatch (up to 1.3x on the GPT,
# never slower on the zoo). Either has failed some compiles in IREE's
# history, hence the retry without them.
TUNING_FLAGS = {
    Target.LLVM_CPU: ("--iree-opt-data-tiling", "--iree-dispatch-creation-enable-aggressive-fusion=true"),
    # Not data tiling: without CPU microkernels for wasm32 it made a 128^3
    # matmul slower in Node (0.23 ms against 0.18-0.19 ms, best of 200).
    Target.WASM32: ("--iree-dispatch-creation-enable-aggressive-fusion=true",),
}

# Tuning flags for some op mixes only. im2col turns every convolution into
# an im2col and a data-tiled matmul. IREE's direct path leaves a strided 1x1
# convolution (ResNet's downsampling shortcuts) as a generic reduction: three
# of them ran 76% of ResNet-50's time, 4.1x jax.jit; with im2col 1.2x, and
# its compile 68 s -> 42 s (bench/profile_dispatches.py). On stride-1 3x3
# convolutions im2col is slower (the zoo's CNN at batch 16: 0.6x -> 1.1x
# jax.jit), so it is chosen only for a module with a strided convolution.
IM2COL = "--iree-global-opt-use-im2col-for-convs"


# Aggressive fusion puts a softmax's row maximum, exponentials, row sum and
# division into one dispatch, and IREE 3.13's CPU code for that dispatch
# reduces each vector to a scalar inside the loop: on Whisper-tiny's encoder
# (1500-long rows) 2.1 s of CPU a call, 0.66 s without (jax.jit: 0.6 s).
# Without it the four ops take two well-vectorised dispatches. Rows of
# LONG_ROW elements or more turn it off (with webtensor-cpu-softmax, which
# keeps IREE's own softmax op, slower still, out of the way); on shorter rows
# (BERT-base, GPT-2, ViT-B/16) aggressive fusion was as fast or up to 1.2x
# faster.
NO_AGGRESSIVE_FUSION = "--iree-dispatch-creation-enable-aggressive-fusion=false"


def op_mix_flags(module: ir.Module, options: CompileOptions) -> tuple[str, ...]:
    """The tuning flags that `module`'s ops call for, beyond TUNING_FLAGS
    (later flags win over TUNING_FLAGS)."""
    if not options.tuning or options.target != Target.LLVM_CPU:
        return ()
    ops = walk(module.operation)
    flags = []
    if any(_is_strided_convolution(op) for op in ops):
        flags.append(IM2COL)
    if any(_row_maximum_length(op) >= LONG_ROW for op in ops):
        flags.append(NO_AGGRESSIVE_FUSION)
    return tuple(flags)


def _row_maximum_length(op: ir.Operation) -> int:
    """How many elements a linalg.generic takes the maximum of, per result
    element (a softmax's row length); 0 for anything else."""
    if op.name != "linalg.generic" or len(op.operands) != 2 or len(op.results) != 1:
        return 0
    body = op.regions[0].blocks[0]
    if not any(inner.operation.name in ("arith.maximumf", "arith.maxnumf") for inner in body.operations):
        return 0
    source, result = tensor_type(op.operands[0]), tensor_type(op.results[0])
    if not (source.has_static_shape and result.has_static_shape):
        return 0
    return math.prod(source.shape) // max(math.prod(result.shape), 1)


def _is_strided_convolution(op: ir.Operation) -> bool:
    if not op.name.startswith("linalg.conv_") or "strides" not in op.attributes:
        return False
    return any(stride > 1 for stride in ir.DenseIntElementsAttr(op.attributes["strides"]))


def target_flags(options: CompileOptions, extra: Sequence[str] = ()) -> list[str]:
    """IREE compiler flags for `options`, with `extra` (op_mix_flags) before
    the user's own. The module reaches IREE as linalg, already through the
    StableHLO input pipeline, hence input type none."""
    if options.target == Target.LLVM_CPU:
        flags = [
            "--iree-hal-target-device=local",
            "--iree-hal-local-target-device-backends=llvm-cpu",
            f"--iree-llvmcpu-target-cpu={options.target_cpu}",
        ]
    elif options.target == Target.WASM32:
        # llvm-cpu with a wasm32 triple writes each executable as a wasm side
        # module ("system-wasm-wasm_32"), which the web runtime links into its
        # own memory and function table. Every buffer of a call sits in that
        # one memory, so the sandbox phase is what keeps tensors apart.
        cpu = "generic" if options.target_cpu == "host" else options.target_cpu
        flags = [
            "--iree-hal-target-device=local",
            "--iree-hal-local-target-device-backends=llvm-cpu",
            TRIPLE_FLAG + WASM32_TRIPLE,
            f"--iree-llvmcpu-target-cpu={cpu}",
            "--iree-llvmcpu-target-cpu-features=+simd128",
            f"--iree-llvmcpu-wasm-linker-path={_wasm_linker()}",
        ]
    elif options.target == Target.VULKAN_SPIRV:
        flags = ["--iree-hal-target-device=vulkan"]
        if options.vulkan_target:
            flags.append(f"--iree-vulkan-target={options.vulkan_target}")
    else:
        flags = ["--iree-hal-target-device=cuda", f"--iree-cuda-target={options.cuda_arch}"]
    flags.append("--iree-input-type=none")
    # IREE demotes f64 to f32 by default, which would change both results and
    # the artifact's signature; a model's f64 stays f64.
    flags.append("--iree-input-demote-f64-to-f32=false")
    if options.tuning:
        flags.extend(TUNING_FLAGS.get(options.target, ()))
    flags.extend(extra)
    flags.extend(options.iree_flags)
    return flags


def _wasm_linker() -> str:
    """The command IREE links wasm side modules with: the wheel's lld (which
    IREE does not find by itself in-process), allowing undefined symbols.
    LLVM leaves some operations as libcalls (fmaxf for arith.maxnumf, fmodf
    for arith.remf); they become imports, which the web runtime provides
    (web/build.sh, SIDE_MODULE_EXPORTS). IREE runs this through a shell and
    puts `-flavor wasm` first, as lld requires, hence the flag at the end."""
    from iree.compiler.tools.binaries import find_tool

    return "sh -c 'exec \"$0\" \"$@\" --allow-undefined' " + shlex.quote(find_tool("iree-lld"))


def compile_module(session: CompilerSession, module: ir.Module, options: CompileOptions, source_name: str) -> bytes:
    """The VM flatbuffer for `module`, compiled in `session` (made with
    target_flags(options)), or in a session of its own where its ops call for
    more flags (op_mix_flags). A compile that fails with the tuning flags is
    retried once without them, in a fresh session: a slower artifact is
    better than no artifact."""
    if not (options.tuning and TUNING_FLAGS.get(options.target)):
        return compile_to_vmfb(session, module, source_name)
    extra = op_mix_flags(module, options)
    # IREE takes the module over when it imports it; keep a copy to retry with.
    saved = module.operation.get_asm(binary=True)
    try:
        if not extra:
            return compile_to_vmfb(session, module, source_name)
        return _compile_in_fresh_session(target_flags(options, extra), saved, source_name)
    except CompileError:
        untuned = dataclasses.replace(options, tuning=False)
        return _compile_in_fresh_session(target_flags(untuned), saved, source_name)


def _compile_in_fresh_session(flags: list[str], saved: bytes, source_name: str) -> bytes:
    session = CompilerSession(flags)
    try:
        return compile_to_vmfb(session, session.parse_trusted(saved, source_name), source_name)
    finally:
        session.close()


# IREE runs its passes on a thread pool, which costs more than it gives on a
# small module. Measured on 2 cores: a 50-op module compiled in 0.27 s on one
# thread against 0.31 s on the pool, an encoder block (300 ops) in 1.40 s
# against 1.67 s; at 600 to 900 ops the two were even, and a stack of eight
# encoder blocks (2,400 ops) took 2.5 s on the pool against 2.8 s. The
# artifact is the same either way.
THREADS_FROM_OPS = 600


def uses_threads(module: ir.Module) -> bool:
    """Whether IREE compiles `module` on its thread pool: from
    THREADS_FROM_OPS ops on (counted up to there, no further)."""
    count = 0

    def visit(_op):
        nonlocal count
        count += 1
        return ir.WalkResult.INTERRUPT if count >= THREADS_FROM_OPS else ir.WalkResult.ADVANCE

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return count >= THREADS_FROM_OPS


def compile_to_vmfb(session: CompilerSession, module: ir.Module, source_name: str) -> bytes:
    session.context.enable_multithreading(uses_threads(module))
    invocation = session.invocation()
    diagnostics = _InvocationDiagnostics(invocation)
    try:
        invocation.import_module(module.operation)
        if not invocation.execute():
            raise CompileError(
                "IREE could not compile the module for this target",
                diagnostics.errors(),
                source_name=source_name,
            )
        output = iree_api.Output.open_membuffer()
        invocation.output_vm_bytecode(output)
        return bytes(output.map_memory())
    finally:
        invocation.close()


# IREE's C API reports diagnostics through a C callback. A Python handler
# attached to the MLIR context must not be used here: ctypes releases the GIL
# while IREE runs, and the context would call back into Python without it.
# A ctypes callback takes the GIL itself.
_CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p)
_SEVERITIES = {0: "note", 1: "warning", 2: "error", 3: "remark"}
_LOCATED = re.compile(r"^(?P<file>.*?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$", re.DOTALL)


class _InvocationDiagnostics:
    def __init__(self, invocation: iree_api.Invocation):
        self.collected: list[Diagnostic] = []
        self._callback = _CALLBACK(self._on_diagnostic)  # kept alive with self
        dylib = ctypes_dl._dylib
        enable = dylib.ireeCompilerInvocationEnableCallbackDiagnostics
        enable.restype = None
        enable.argtypes = [ctypes.c_void_p, ctypes.c_int, _CALLBACK, ctypes.c_void_p]
        enable(invocation._inv_p, 0, self._callback, None)
        invocation._webtensor_diagnostics = self

    def _on_diagnostic(self, severity: int, message: bytes, size: int, _user_data) -> None:
        text = ctypes.string_at(message, size).decode("utf-8", errors="replace")
        # "file:line:col: message\n\nnotes..."; keep the first paragraph.
        first = text.split("\n\n", 1)[0].strip()
        match = _LOCATED.match(first)
        location = None
        if match:
            location = SourceLocation(match["file"], int(match["line"]), int(match["col"]))
            first = match["message"]
        self.collected.append(Diagnostic(_SEVERITIES.get(severity, "error"), first, location))

    def errors(self) -> list[Diagnostic]:
        return [d for d in self.collected if d.severity == "error"] or self.collected
