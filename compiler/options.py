"""User-facing compile choices: targets, phases, limits and the options dataclass.

Every setting of `CompileOptions` is declared once, in `OPTIONS` below: the
field it sets, its command-line flag, how the flag's text is read and
written back, and its help. webtensor-compile's arguments (`add_arguments`,
`from_arguments`) and the command a compile error names as its reproducer
(`command_line`) are all made from that table.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import functools
import os
import subprocess
from typing import Any, Callable, Iterable

from ..dialects.profile import BadLimitValue, Limits, UnknownLimit
from ..runtime.errors import InvalidArgument

GiB = 1 << 30


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
class IsolationLimits:
    """Limits on the worker process that compiles one module (compiler/worker.py).

    Attributes:
      memory_bytes: its address space (RLIMIT_AS; default 8 GiB). Address
        space, not resident memory: compiling tests/models.py's encoder
        block peaked at 0.86 GiB of address space (0.27 GiB resident), and
        a module with 256 MiB of inline constants at 1.9 GiB.
      cpu_seconds: CPU time of all its threads (RLIMIT_CPU; default 1200).
        The kernel enforces it even if the parent is gone; four times the
        wall limit, so that a compile using four cores is cut by the wall
        limit first.
      wall_seconds: elapsed time, enforced by the parent (default 300). The
        encoder block compiles in about 2 s.
    """

    memory_bytes: int = 8 * GiB
    cpu_seconds: int = 1200
    wall_seconds: float = 300.0

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"IsolationLimits.{field.name} must be positive, got {value!r}")


@dataclasses.dataclass(frozen=True)
class InputLimits:
    """Limits an input must meet before it is parsed (compiler/gate.py).

    Attributes:
      max_bytes: the largest input, in bytes (default 1 GiB). Compiling a
        module with 256 MiB of inline constants took 1.9 GiB of address
        space, so 1 GiB of input fits the worker's default 8 GiB.
      max_depth: the deepest nesting of (), [], {} and <> in MLIR text
        (default 256). Real models nest a few dozen levels (a function, a
        few regions of control flow, types); the parser crashes at about
        4,000, and passes written in Python recurse per level too.
    """

    max_bytes: int = 1 * GiB
    max_depth: int = 256

    def __post_init__(self):
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"InputLimits.{field.name} must be a positive integer, got {value!r}")


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
        a fork, about 0.1 s a compile). It never changes the artifact.
      isolation_limits: the worker's memory, CPU time and wall time.
      input_limits: size and nesting limits checked before parsing.

    Each field's command-line flag, and how it is read and written, is in
    OPTIONS below.
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


# --- The command line -----------------------------------------------------------


def parse_byte_count(text: str) -> int:
    """A count of bytes with an optional binary suffix: 512M, 8G."""
    scale = _BYTE_SUFFIXES.get(text[-1:].upper(), 1)
    digits = text[:-1] if scale > 1 else text
    if not digits.isdigit():
        raise argparse.ArgumentTypeError(f"'{text}' is not a byte count such as 512M or 8G")
    return int(digits) * scale


def byte_count_text(count: int) -> str:
    """The shortest text parse_byte_count reads back as `count`: 8G, 1536M, 1000."""
    for suffix, scale in reversed(_BYTE_SUFFIXES.items()):
        if count and count % scale == 0:
            return f"{count // scale}{suffix}"
    return str(count)


_BYTE_SUFFIXES = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def number_text(value: int | float) -> str:
    """300.0 as 300, 1.5 as 1.5."""
    return str(int(value)) if float(value).is_integer() else str(value)


def parse_limit_settings(settings: Iterable[str]) -> Limits:
    """`--limit NAME=VALUE`, given any number of times, as Limits."""
    usage = "--limit takes NAME=VALUE with NAME one of: " + ", ".join(sorted(f.name for f in dataclasses.fields(Limits)))
    values = {}
    for setting in settings:
        name, sep, text = setting.partition("=")
        if not sep:
            raise InvalidArgument(usage)
        values[name] = text
    try:
        return Limits.parse(values)
    except UnknownLimit:
        raise InvalidArgument(usage) from None
    except BadLimitValue as e:
        raise InvalidArgument(f"--limit {e.name}: '{e.text}' is not an integer") from None


def limit_settings(limits: Limits) -> list[str]:
    return [f"{name}={text}" for name, text in limits.settings().items()]


@dataclasses.dataclass(frozen=True)
class Option:
    """One setting of CompileOptions, as webtensor-compile spells it.

    Attributes:
      field: the CompileOptions field it sets; a dotted name reaches into a
        limits dataclass ("isolation_limits.wall_seconds").
      flag: the command-line flag.
      help: its --help text; "{default}" stands for the default, written
        as the flag takes it.
      parse: the flag's text to the field's value (argparse's type); None
        for a bare --no-... flag that turns a bool field off.
      text: the field's value to the flag's text, for reproducer commands.
      metavar: what --help calls the flag's value.
      group: the --help section: "" (the main one), "profile" or "isolation".
      needs: a bool field that must be on for the setting to matter (the
        worker's limits need isolate): a reproducer leaves it out otherwise.
      always: a reproducer names it even at its default (the target, so
        that the command says what it compiles for).
      repeated: the flag is given once per item; `gather` makes the field's
        value from the items, `items` the items from a value.
    """

    field: str
    flag: str
    help: str
    parse: Callable[[str], Any] | None = str
    text: Callable[[Any], str] = str
    metavar: str | None = None
    group: str = ""
    needs: str | None = None
    always: bool = False
    repeated: bool = False
    gather: Callable[[list], Any] = tuple
    items: Callable[[Any], Iterable[str]] = tuple

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def default(self) -> Any:
        """The default, from the dataclass that declares the field."""
        return field_value(_defaults(), self.field)

    @property
    def bare(self) -> bool:
        return self.parse is None

    def flags(self, options: CompileOptions) -> list[str]:
        """How a reproducer command asks for this setting's value in `options`."""
        if self.needs and not getattr(options, self.needs):
            return []
        value = field_value(options, self.field)
        if value == self.default and not self.always:
            return []
        if self.bare:
            return [self.flag]
        if self.repeated:
            return [f"{self.flag}={item}" for item in self.items(value)]
        return [f"{self.flag}={self.text(value)}"]


OPTIONS: tuple[Option, ...] = (
    Option("target", "--target", "one of " + ", ".join(t.value for t in Target) + " (default {default})", always=True),
    Option(
        "target_cpu",
        "--target-cpu",
        "llvm-cpu: '{default}' (default), 'generic', or an LLVM CPU name (checked against LLVM's list)",
    ),
    Option("cuda_arch", "--cuda-arch", f"cuda: one of {', '.join(CUDA_ARCHS)} (default {{default}})"),
    Option("vulkan_target", "--vulkan-target", "vulkan-spirv: an IREE Vulkan target such as 'ampere' (default: portable baseline)"),
    Option("sandbox", "--no-sandbox", "skip the sandbox phase (unsafe; for measuring it)", parse=None),
    Option("tuning", "--no-tuning", "leave out the target's speed flags (data tiling on llvm-cpu)", parse=None),
    Option("iree_flags", "--iree-flag", "pass a flag to the IREE compiler (repeatable)", metavar="FLAG", repeated=True),
    Option(
        "limits",
        "--limit",
        "set a profile limit, e.g. --limit=dynamic_dim_bound=1024 (see --print-profile for the names)",
        metavar="NAME=VALUE",
        group="profile",
        repeated=True,
        gather=parse_limit_settings,
        items=limit_settings,
    ),
    Option("isolate", "--no-isolate", "compile in this process (trusted input only)", parse=None, group="isolation"),
    Option(
        "isolation_limits.wall_seconds", "--time-limit", "wall time [{default}]",
        parse=float, text=number_text, metavar="SECONDS", group="isolation", needs="isolate",
    ),
    Option(
        "isolation_limits.cpu_seconds", "--cpu-limit", "CPU time of all threads [{default}]",
        parse=int, metavar="SECONDS", group="isolation", needs="isolate",
    ),
    Option(
        "isolation_limits.memory_bytes", "--memory-limit", "address space, e.g. 8G [{default}]",
        parse=parse_byte_count, text=byte_count_text, metavar="BYTES", group="isolation", needs="isolate",
    ),
    Option(
        "input_limits.max_bytes", "--max-input-bytes", "input size, e.g. 1G [{default}]",
        parse=parse_byte_count, text=byte_count_text, metavar="BYTES", group="isolation",
    ),
    Option(
        "input_limits.max_depth", "--max-nesting-depth", "bracket nesting in MLIR text [{default}]",
        parse=int, metavar="N", group="isolation",
    ),
)


@functools.cache
def _defaults() -> CompileOptions:
    return CompileOptions()


def field_value(options: CompileOptions, field: str) -> Any:
    value = options
    for name in field.split("."):
        value = getattr(value, name)
    return value


def option_for(field: str) -> Option:
    return next(option for option in OPTIONS if option.field == field)


def how_to_raise(field: str) -> str:
    """What an error over a limit tells the user to do: "raise
    IsolationLimits.wall_seconds (--time-limit)"."""
    holder, _, name = field.partition(".")
    owner = type(getattr(_defaults(), holder)).__name__
    return f"raise {owner}.{name} ({option_for(field).flag})"


def add_arguments(parser: Any, group: str = "") -> None:
    """Adds the flags of one --help section of the table to `parser` (an
    ArgumentParser or one of its argument groups).

    Every flag's argparse default is None, so that `from_arguments` tells a
    flag that was not given from one given at its default."""
    for option in OPTIONS:
        if option.group != group:
            continue
        if option.bare:
            parser.add_argument(option.flag, dest=option.dest, action="store_const", const=False, help=option.help)
            continue
        parser.add_argument(
            option.flag,
            dest=option.dest,
            type=option.parse,
            action="append" if option.repeated else "store",
            metavar=option.metavar,
            help=option.help.format(default=_default_text(option)),
        )


def _default_text(option: Option) -> str:
    return "" if option.repeated or option.bare else option.text(option.default)


def from_arguments(arguments: argparse.Namespace) -> CompileOptions:
    """The CompileOptions that parsed `add_arguments` flags ask for; every
    flag not given keeps its field's default. Raises ValueError."""
    values = {}
    for option in OPTIONS:
        given = getattr(arguments, option.dest)
        if given is not None:
            values[option.field] = option.gather(given) if option.repeated else given
    return with_fields(_defaults(), values)


def with_fields(options: CompileOptions, values: dict[str, Any]) -> CompileOptions:
    """`options` with the fields named in `values` (dotted names too) replaced."""
    top, nested = {}, {}
    for field, value in values.items():
        holder, _, name = field.partition(".")
        if name:
            nested.setdefault(holder, {})[name] = value
        else:
            top[holder] = value
    for holder, fields in nested.items():
        top[holder] = dataclasses.replace(getattr(options, holder), **fields)
    return dataclasses.replace(options, **top) if top else options


def command_line(options: CompileOptions) -> list[str]:
    """The webtensor-compile flags that ask for `options`: every setting
    not at its default, and the target."""
    return [flag for option in OPTIONS for flag in option.flags(options)]
