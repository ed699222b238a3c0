"""User-facing compile choices: targets, phases and the options dataclass."""

from __future__ import annotations

import dataclasses
import enum
import functools
import os
import subprocess

from ..dialects.profile import Limits
from ..runtime.errors import InvalidArgument
from .gate import InputLimits
from .worker import IsolationLimits


class _ParsableEnum(enum.Enum):
    """An Enum whose values are the spellings users type on the command line."""

    @classmethod
    def parse(cls, spelling: str | _ParsableEnum) -> _ParsableEnum:
        if isinstance(spelling, cls):
            return spelling
        for member in cls:
            if member.value == spelling:
                return member
        valid = ", ".join(member.value for member in cls)
        raise InvalidArgument(f"unknown {cls._noun()} '{spelling}'; valid values: {valid}")

    @classmethod
    def _noun(cls) -> str:
        return cls.__name__.lower()

    def __str__(self) -> str:
        return self.value


class Target(_ParsableEnum):
    """The device an artifact is compiled for."""

    LLVM_CPU = "llvm-cpu"
    VULKAN_SPIRV = "vulkan-spirv"
    CUDA = "cuda"
    # WebAssembly with SIMD, for the web runtime (web/): llvm-cpu code as
    # wasm32 side modules that the runtime links into its own memory.
    WASM32 = "wasm32"


class Phase(_ParsableEnum):
    """The named points of the pipeline, in order. `--compile-to` stops after one."""

    INPUT = "input"
    LEGALIZED = "legalized"
    SANDBOXED = "sandboxed"
    LINALG = "linalg"
    VMFB = "vmfb"

    @property
    def index(self) -> int:
        return list(Phase).index(self)

    def __le__(self, other: Phase) -> bool:
        return self.index <= other.index

    def __lt__(self, other: Phase) -> bool:
        return self.index < other.index


PHASE_HELP = {
    Phase.INPUT: "the module as imported (VHLO deserialized to StableHLO)",
    Phase.LEGALIZED: "plain StableHLO: CHLO decomposed, composites inlined, canonicalized",
    Phase.SANDBOXED: "every undefined behaviour made defined, loops budgeted (still portable StableHLO)",
    Phase.LINALG: "linalg on tensors, from IREE's StableHLO input pipeline",
    Phase.VMFB: "an IREE VM flatbuffer for --target",
}

# CUDA architectures IREE 3.13 compiles for. IREE exits the whole process on an
# unknown name, so we check the spelling before IREE sees it. sm_90 is absent:
# IREE 3.13 has no target description for it, and sm_80 PTX runs on Hopper.
CUDA_ARCHS = ("sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_89")


# CPU names every llvm-cpu compile accepts besides LLVM's own list.
PORTABLE_CPUS = ("host", "generic")
TRIPLE_FLAG = "--iree-llvmcpu-target-triple="
WASM32_TRIPLE = "wasm32-unknown-unknown"


@functools.cache
def llvm_cpus(triple: str | None = None) -> tuple[str, ...]:
    """The CPU names LLVM knows for `triple` (default: this machine's).

    An unknown name would reach LLVM in the compiler worker and end it with
    `LLVM ERROR: 64-bit code requested on a subtarget that doesn't support
    it!`; so the name is checked first, against the list LLVM itself prints
    for `-mcpu=help` (iree-compile prints it on stderr, in 0.2 s, and exits
    1). Empty if that list cannot be had: then nothing is checked here."""
    from iree.compiler.tools.binaries import find_tool

    command = [find_tool("iree-compile"), "-", "-o", os.devnull, "--iree-hal-target-device=local",
               "--iree-hal-local-target-device-backends=llvm-cpu", "--iree-llvmcpu-target-cpu=help"]
    if triple:
        command.append(TRIPLE_FLAG + triple)
    try:
        done = subprocess.run(command, input=b"module {}", capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return ()
    lines = done.stderr.decode("utf-8", "replace").splitlines()
    try:
        start = lines.index("Available CPUs for this target:") + 1
    except ValueError:
        return ()
    names = []
    for line in lines[start:]:
        if line.startswith("Available features"):
            break
        name, sep, _ = line.strip().partition(" - ")
        if sep:
            names.append(name.strip())
    return tuple(names)


def check_target_cpu(target_cpu: str, iree_flags: tuple[str, ...] = ()) -> None:
    """Raises InvalidArgument, listing the valid names, unless LLVM knows `target_cpu`."""
    if target_cpu in PORTABLE_CPUS:
        return
    triples = [flag[len(TRIPLE_FLAG):] for flag in iree_flags if flag.startswith(TRIPLE_FLAG)]
    known = llvm_cpus(triples[-1] if triples else None)
    if known and target_cpu not in known:
        raise InvalidArgument(
            f"unknown target CPU '{target_cpu}'; valid values: {', '.join(PORTABLE_CPUS + known)}"
        )


@dataclasses.dataclass(frozen=True)
class CompileOptions:
    """How a module is compiled. Every field has a default that suits most users.

    Attributes:
      target: the device kind the artifact runs on.
      target_cpu: for llvm-cpu, the CPU to tune for: "host" (this machine,
        fastest; the artifact may not run on an older CPU), "generic" (runs
        on any x86-64/aarch64), or an LLVM CPU name such as "x86-64-v3".
        For wasm32, "host" and "generic" both mean LLVM's generic wasm CPU
        (the code runs in whatever browser loads it); SIMD128 is always on.
      cuda_arch: for cuda, the SM architecture (see CUDA_ARCHS).
      vulkan_target: for vulkan-spirv, an IREE Vulkan target name such as
        "ampere" or "rdna3"; None keeps IREE's portable baseline.
      sandbox: run the sandbox phase. Turning it off is for measuring its
        cost; an unsandboxed artifact is not safe on untrusted models.
      tuning: add IREE's speed flags for the target (see backend.TUNING_FLAGS).
        They are not on by default in IREE because some models fail to
        compile with them; a compile that fails with them is retried
        without them, so turning this off only trades speed for compile time.
      iree_flags: extra IREE compiler flags, appended last (for experts).
      limits: what the module may ask of the host (see dialects/profile.py).
      isolate: compile in a worker process with memory and time limits, so
        that a crash or hang on hostile input is a CompileError, never the
        death of this process. Turn it off only for trusted input (it saves
        a process start, 0.2 to 0.5 s). It never changes the artifact.
      isolation_limits: the worker's memory, CPU time and wall time.
      input_limits: size and nesting limits checked before parsing.
    """

    target: Target = Target.LLVM_CPU
    target_cpu: str = "host"
    cuda_arch: str = "sm_80"
    vulkan_target: str | None = None
    sandbox: bool = True
    tuning: bool = True
    iree_flags: tuple[str, ...] = ()
    limits: Limits = Limits()
    isolate: bool = True
    isolation_limits: IsolationLimits = IsolationLimits()
    input_limits: InputLimits = InputLimits()

    def __post_init__(self):
        object.__setattr__(self, "target", Target.parse(self.target))
        object.__setattr__(self, "iree_flags", tuple(self.iree_flags))
        if self.cuda_arch not in CUDA_ARCHS:
            raise InvalidArgument(
                f"unknown CUDA architecture '{self.cuda_arch}'; "
                f"valid values: {', '.join(CUDA_ARCHS)}"
            )
        if not self.target_cpu or any(c.isspace() for c in self.target_cpu):
            raise InvalidArgument(f"invalid target CPU '{self.target_cpu}'")
        if self.target == Target.LLVM_CPU:
            check_target_cpu(self.target_cpu, self.iree_flags)
        elif self.target == Target.WASM32:
            check_target_cpu(self.target_cpu, (TRIPLE_FLAG + WASM32_TRIPLE,))
