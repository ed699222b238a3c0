"""Whose fault is a wrong result: torch-mlir's, WebTensor's or IREE's.

A node test whose WebTensor result differs from onnx's expected one went
through three hands: torch-mlir turned the ONNX graph into StableHLO, the
sandbox and the lowering rewrote that StableHLO, and IREE compiled it. The
imported StableHLO (before any of ours but torch_mlir_output's literal
rewrites) is run twice more:

- through StableHLO's reference interpreter (jaxlib's `eval_module`): if
  that result is wrong too, the import is wrong: the importer's;
- through plain IREE, no sandbox: if the reference is right and plain IREE
  is wrong too, IREE's; if plain IREE is right, the difference is ours (the
  sandbox, which may be its defined semantics for out-of-range inputs, or
  a bug: the record says which, by its cause).

A program IREE fails to compile is IREE's if plain IREE fails on the
imported StableHLO too, else ours (`compile_verdict`).

Either check can fail to run (the interpreter lacks an op, or is too slow
for the size); then the verdict rests on what did run, and says so.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np

INTERPRETER_SECONDS = 120.0


def attribute(folder: Path, inputs: list[np.ndarray], expected: list[np.ndarray], judge) -> dict:
    """A verdict: {"by": "importer" | "ours" | "iree" | "unknown", "why": ...}.
    `judge(outputs, expected)` is the runner's comparison (None if equal)."""
    from webtensor.compiler.frontends import onnx_file

    imported, weights = onnx_file.import_file(str(folder / "model.onnx"))
    arguments = list(inputs) + list(weights.values())
    reference = _in_child(_reference, imported.payload, arguments)
    if isinstance(reference, list):
        wrong = judge(reference, expected)
        if wrong:
            return {"by": "importer", "why": f"the imported StableHLO is wrong in StableHLO's reference interpreter too ({wrong})"}
    plain = _in_child(_plain_iree, imported.payload, arguments)
    if not isinstance(plain, list):
        return {"by": "unknown", "why": f"plain IREE did not run it: {plain}; reference: {_said(reference)}"}
    wrong = judge(plain, expected)
    if wrong:
        if isinstance(reference, list):
            return {"by": "iree", "why": f"the reference interpreter gets it right, plain IREE does not ({wrong})"}
        return {"by": "unknown", "why": f"plain IREE is wrong too ({wrong}); the reference interpreter did not run: {reference}"}
    return {"by": "ours", "why": "plain IREE without the sandbox gets it right" + ("" if isinstance(reference, list) else f" (no reference: {reference})")}


def compile_verdict(folder: Path) -> dict:
    """{"by": "iree" | "ours", "why": ...} for a program IREE failed to
    compile after WebTensor's phases."""
    from webtensor.compiler.frontends import onnx_file

    imported, weights = onnx_file.import_file(str(folder / "model.onnx"))
    failure = _in_child(_plain_compile, imported.payload, [])
    if failure is None:
        return {"by": "ours", "why": "plain IREE compiles the imported StableHLO"}
    return {"by": "iree", "why": f"plain IREE fails on the imported StableHLO too: {failure}"}


def _plain_compile(text: str, arguments) -> None:
    import iree.compiler as ireec

    ireec.compile_str(text, target_backends=["llvm-cpu"], input_type="stablehlo")


def _said(result) -> str:
    return "right" if isinstance(result, list) else str(result)


def _in_child(function, text: str, arguments: list[np.ndarray]):
    """`function(text, arguments)` in a child process: the interpreter can
    take minutes or crash on what it does not know. A list of arrays, or a
    string saying why not."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        pending = pool.apply_async(function, (text, arguments))
        try:
            return pending.get(INTERPRETER_SECONDS)
        except multiprocessing.TimeoutError:
            return f"ran past {INTERPRETER_SECONDS:g} s"
        except Exception as e:  # noqa: BLE001 - whatever it was, it is the reason
            return f"{type(e).__name__}: {_first_error(str(e))}"


def _reference(text: str, arguments: list[np.ndarray]) -> list[np.ndarray]:
    import ml_dtypes
    from jax._src.interpreters import mlir as jax_mlir
    from jaxlib.mlir import ir
    from jaxlib.mlir.dialects import stablehlo

    with jax_mlir.make_ir_context():
        text, widened = _bfloat16_results_as_float32(text)
        module = ir.Module.parse(text)
        attributes = [_attribute_of(a) for a in arguments]
        results = [_from_attribute(r) for r in stablehlo.eval_module(module, attributes)]
        return [r.astype(ml_dtypes.bfloat16) if i in widened else r for i, r in enumerate(results)]


def _bfloat16_results_as_float32(text: str) -> tuple[str, set[int]]:
    """The bindings cannot read a bfloat16 attribute's values back: `main`
    becomes a private function, called by a new `main` that converts its
    bfloat16 results to float32 (exactly), to be rounded back to bfloat16.
    The program, and the indices of the results it widened."""
    from jaxlib.mlir import ir

    module = ir.Module.parse(text)
    main = next(op for op in module.body.operations if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == "main")
    ftype = ir.FunctionType(ir.TypeAttr(main.attributes["function_type"]).value)
    results = [str(t) for t in ftype.results]
    widened = {i for i, t in enumerate(results) if t.endswith("bf16>")}
    if not widened:
        return text, widened
    main.attributes["sym_name"] = ir.StringAttr.get("inner")
    main.attributes["sym_visibility"] = ir.StringAttr.get("private")
    arguments = [str(t) for t in ftype.inputs]
    params = ", ".join(f"%a{i}: {t}" for i, t in enumerate(arguments))
    lines = [f"func.func @main({params}) -> ({', '.join(t.replace('bf16>', 'f32>') for t in results)}) {{"]
    lines.append(f"  %r:{len(results)} = func.call @inner({', '.join(f'%a{i}' for i in range(len(arguments)))}) : ({', '.join(arguments)}) -> ({', '.join(results)})")
    outs = []
    for i, t in enumerate(results):
        if t.endswith("bf16>"):
            lines.append(f"  %c{i} = stablehlo.convert %r#{i} : ({t}) -> {t.replace('bf16>', 'f32>')}")
            outs.append(f"%c{i}")
        else:
            outs.append(f"%r#{i}")
    lines.append(f"  func.return {', '.join(outs)} : {', '.join(t.replace('bf16>', 'f32>') for t in results)}")
    lines.append("}")
    printed = str(module).rstrip()
    assert printed.endswith("}"), "a module prints as module { ... }"
    return printed[:-1] + "\n".join(lines) + "\n}\n", widened


def _attribute_of(array: np.ndarray):
    from jaxlib.mlir import ir

    from webtensor.runtime import dtypes

    array = np.ascontiguousarray(array)
    element = ir.Type.parse(dtypes.by_dtype(array.dtype).mlir)
    # DenseElementsAttr reads bfloat16 as its raw 16-bit words.
    raw = array.view(np.uint16) if array.dtype.name == "bfloat16" else array
    return ir.DenseElementsAttr.get(raw, type=element, shape=list(array.shape))


def _from_attribute(attribute) -> np.ndarray:
    from jaxlib.mlir import ir

    from webtensor.runtime import dtypes

    shaped = ir.ShapedType(attribute.type)
    element = dtypes.BY_MLIR[str(shaped.element_type)]
    array = np.array(ir.DenseElementsAttr(attribute), copy=True)
    return array.astype(element.dtype, copy=False).reshape(shaped.shape)


def _plain_iree(text: str, arguments: list[np.ndarray]) -> list[np.ndarray]:
    import iree.compiler as ireec
    import iree.runtime as ireert

    binary = ireec.compile_str(text, target_backends=["llvm-cpu"], input_type="stablehlo")
    config = ireert.Config("local-task")
    context = ireert.SystemContext(config=config)
    context.add_vm_module(ireert.VmModule.copy_buffer(context.instance, binary))
    result = context.modules.module["main"](*arguments)
    results = result if isinstance(result, (tuple, list)) else [result]
    return [np.asarray(r.to_host() if hasattr(r, "to_host") else r) for r in results]


def _first_error(text: str) -> str:
    """iree.compiler's errors open with the tool's name; the diagnostic is the line with "error:"."""
    for line in text.splitlines():
        if "error:" in line:
            return line.split("error:", 1)[1].strip()[:300]
    return _first_line(text)


def _first_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[0][:300] if lines else ""
