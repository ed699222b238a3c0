"""IREE as our backend: the flags for each target, and the VM flatbuffer."""

from __future__ import annotations

import iree.compiler.api as iree_api
from iree.compiler import ir

from .diagnostics import CompileError
from .options import CompileOptions, Target
from .session import CompilerSession


def target_flags(options: CompileOptions) -> list[str]:
    """IREE compiler flags for `options`. The module reaches IREE as linalg,
    already through the StableHLO input pipeline, hence input type none."""
    if options.target == Target.LLVM_CPU:
        flags = [
            "--iree-hal-target-device=local",
            "--iree-hal-local-target-device-backends=llvm-cpu",
            f"--iree-llvmcpu-target-cpu={options.target_cpu}",
        ]
    elif options.target == Target.VULKAN_SPIRV:
        flags = ["--iree-hal-target-device=vulkan"]
        if options.vulkan_target:
            flags.append(f"--iree-vulkan-target={options.vulkan_target}")
    else:
        flags = ["--iree-hal-target-device=cuda", f"--iree-cuda-target={options.cuda_arch}"]
    flags.append("--iree-input-type=none")
    flags.extend(options.iree_flags)
    return flags


def compile_to_vmfb(session: CompilerSession, module: ir.Module, source_name: str) -> bytes:
    invocation = session.invocation()
    try:
        invocation.import_module(module.operation)
        with session.collect_diagnostics() as diagnostics:
            ok = invocation.execute()
        if not ok:
            errors = [d for d in diagnostics if d.severity == "error"] or diagnostics
            raise CompileError("IREE could not compile the module for this target", errors, source_name=source_name)
        output = iree_api.Output.open_membuffer()
        invocation.output_vm_bytecode(output)
        return bytes(output.map_memory())
    finally:
        invocation.close()
