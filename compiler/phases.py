"""The phases a module goes through, in order, and what runs in each.

    input --legalize--> legalized --sandbox--> sandboxed --IREE input--> linalg --IREE--> vmfb

Each phase is a pass pipeline over one module in one MLIR context. A
`Compilation` can stop after any phase and print the IR: that is what
`--compile-to` and the lit tests see.
"""

from __future__ import annotations

from iree.compiler import ir

from .. import passes
from ..passes.pipeline import build as build_pipeline
from . import backend, gate, progress, reflection
from .diagnostics import CompileError, errors_from_mlir
from .frontends import ImportedModule
from .options import CompileOptions, Phase, Target
from .session import CompilerSession

# Legalize: any accepted input becomes plain StableHLO. The front gate and
# the call-graph check run before anything else; composites become calls, the
# inliner removes every call, and what is left is canonicalized and checked
# against the profile.
LEGALIZE = (
    "webtensor-verify-input",
    "webtensor-verify-call-graph",
    "webtensor-strip-attributes",
    "webtensor-legalize-composite",
    "func.func(chlo-legalize-to-stablehlo)",
    "inline",
    "symbol-dce",
    "canonicalize",
    "cse",
    "webtensor-verify-profile",
    "webtensor-verify-dynamic-shapes",
    # FFTs IREE cannot lower, as DFTs by matrix products, in lengths the
    # profile has bounded.
    "webtensor-expand-fft",
    # f64 functions IREE cannot compile, as f64 arithmetic it can; before the
    # sandbox, so that the work budget prices what actually runs.
    "webtensor-expand-f64-math",
)

# Sandbox: rewrites that give every remaining behaviour a defined result
# (DESIGN.md, "Why this matters"). Their output is still plain StableHLO.
SANDBOX: tuple[str, ...] = (
    # First, so that every later pass, and its loop analysis, reads integer
    # compares the way IREE will.
    "webtensor-sandbox-compare",
    # Indexing: clamp or skip out-of-bounds accesses.
    "webtensor-sandbox-dynamic-slice",
    "webtensor-sandbox-gather",
    "webtensor-sandbox-scatter",
    # Arithmetic: integer division, shifts, float-to-int conversion, booleans.
    "webtensor-sandbox-integer-division",
    "webtensor-sandbox-shift",
    "webtensor-sandbox-float-to-int",
    "webtensor-sandbox-boolean-arithmetic",
    # Windows and sorting: no padded intermediate beyond the result, one order.
    "webtensor-sandbox-pad",
    "webtensor-sandbox-sort",
    "webtensor-sandbox-select-and-scatter",
    # Control flow: the per-call work budget, which prices every op and loop.
    "webtensor-sandbox-fuel",
    # Unsigned reverse and reduce_window in signless integers, which IREE lowers.
    "webtensor-lower-unsigned",
    # What the rewrites produce must still be inside the profile.
    "webtensor-verify-profile",
)

# Lower: weight arguments become IREE parameters (the first IR that is not
# plain StableHLO), softmax is kept from IREE's slow CPU softmax op (llvm-cpu
# only), then IREE's StableHLO input pipeline makes linalg.
# float16 is computed in f32 and converted with integer bit operations on
# wasm32 (IREE's device library and LLVM's wasm backend disagree on the half
# conversions' signature). Every rounding to bfloat16 is made on f32 with
# reduce_precision, and bfloat16 is computed in f32 op by op, on every
# target: IREE drops a bf16 rounding that never reaches memory.
LINALG = (
    "webtensor-wasm-float16",
    "webtensor-round-bf16",
    "webtensor-bind-weights",
    "webtensor-cpu-softmax",
    "iree-stablehlo-input-transformation-pipeline",
)
CPU_ONLY = ("webtensor-cpu-softmax",)
WASM32_ONLY = ("webtensor-wasm-float16",)

PIPELINES = {
    Phase.LEGALIZED: LEGALIZE,
    Phase.SANDBOXED: SANDBOX,
    Phase.LINALG: LINALG,
}


class Compilation:
    """One module on its way from input to an artifact."""

    def __init__(self, imported: ImportedModule, options: CompileOptions):
        self.imported = imported
        self.options = options
        self.session = CompilerSession(backend.target_flags(options))
        self.module: ir.Module = self.session.parse(imported)
        self.phase = Phase.INPUT
        self.entries: dict[str, reflection.EntryPoint] = {}
        self._vmfb: bytes | None = None

    @property
    def source_name(self) -> str:
        return self.imported.source_name

    def run_to(self, phase: Phase) -> None:
        for next_phase in list(Phase)[self.phase.index + 1 : phase.index + 1]:
            with progress.phase(next_phase.value):
                self._run_phase(next_phase)
            self.phase = next_phase

    def _run_phase(self, phase: Phase) -> None:
        if phase == Phase.SANDBOXED and not self.options.sandbox:
            return
        if phase == Phase.LINALG:
            reflection.attach(self.module, self.entries, self.options.target.value)
        if phase == Phase.VMFB:
            self._vmfb = backend.compile_module(self.session, self.module, self.options, self.source_name)
            return
        self._run_passes(phase, PIPELINES[phase])
        if phase == Phase.LEGALIZED:
            self.entries = reflection.read_signatures(
                self.module, self.imported.hints, self.source_name, self.options.limits, self.imported.named_weights
            )

    def _run_passes(self, phase: Phase, pipeline) -> None:
        if not pipeline:
            return
        elements = [self._configured(name) for name in pipeline if self._applies(name)]
        pm, _ = build_pipeline(elements, passes.PASSES, self.session.context)
        try:
            pm.run(self.module.operation)
        except ir.MLIRError as e:
            raise CompileError(
                f"the {phase.value} phase failed", errors_from_mlir(e), source_name=self.source_name
            ) from None

    def _applies(self, name: str) -> bool:
        if name in WASM32_ONLY:
            return self.options.target == Target.WASM32
        return name not in CPU_ONLY or self.options.target == Target.LLVM_CPU

    def _configured(self, name: str):
        """Passes whose options come from the compile options: the limits."""
        limits = self.options.limits
        if name == "webtensor-verify-profile":
            return passes.VerifyProfile(limits)
        if name == "webtensor-verify-input":
            return passes.VerifyInput(max_region_depth=limits.max_region_depth)
        if name == "webtensor-verify-call-graph":
            return passes.VerifyCallGraph(max_ops=limits.max_ops, max_call_depth=limits.max_call_depth)
        if name == "webtensor-sandbox-fuel":
            return passes.SandboxFuel(dynamic_dim_bound=limits.dynamic_dim_bound or 0)
        if name == "webtensor-expand-fft":
            return passes.ExpandFft(iree_fft=self.options.target != Target.VULKAN_SPIRV)
        if name == "webtensor-expand-f64-math":
            # IREE's CPU f32 sin, cos, tan, atan2 and cbrt miss 3 ULP; Vulkan
            # has no f64 to compute them in.
            return passes.ExpandF64Math(
                f32=self.options.target == Target.LLVM_CPU, spirv=self.options.target == Target.VULKAN_SPIRV
            )
        return name

    def text(self, debug_info: bool = False) -> str:
        if self.phase == Phase.VMFB:
            raise ValueError("a vmfb is binary; write it to a file")
        text = self.module.operation.get_asm(enable_debug_info=debug_info, large_elements_limit=None)
        if not debug_info:
            return text
        # The Python bindings parse text from memory and name it "-" (they
        # take no buffer name); the user's input has one.
        escaped = self.source_name.replace("\\", "\\\\").replace('"', '\\"')
        return text.replace('loc("-":', f'loc("{escaped}":')

    def vmfb(self) -> bytes:
        self.run_to(Phase.VMFB)
        assert self._vmfb is not None
        return self._vmfb

    def close(self) -> None:
        self.session.close()


def compile_in_process(imported: ImportedModule, options: CompileOptions, phase: Phase, debug_info: bool = False) -> str | bytes:
    """The gate and the phases in this process: inside the worker, or for
    trusted input. A CompileError from here names the phase that was running
    (`failed_phase`), for the reproducer."""
    compilation = None
    try:
        gate.check(imported, options.input_limits)
        compilation = Compilation(imported, options)
        if phase == Phase.VMFB:
            return compilation.vmfb()
        compilation.run_to(phase)
        return compilation.text(debug_info)
    except CompileError as e:
        e.failed_phase = _running_phase(compilation)
        raise
    finally:
        if compilation is not None:
            compilation.close()


def _running_phase(compilation: Compilation | None) -> Phase:
    if compilation is None:
        return Phase.INPUT
    return list(Phase)[min(compilation.phase.index + 1, Phase.VMFB.index)]
