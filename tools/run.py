"""webtensor-run: run one function of an artifact and print its results.

    webtensor-run model.vmfb --function=main --input=2x3xf32=1,2,3,4,5,6 --input=@x.npy

Inputs are the function's arrays in order (a pytree argument is given leaf by
leaf, in the order `model.signature` lists them). Output reads like
iree-run-module's:

    EXEC @main
    result[0]: hal.buffer_view
    2x3xf32=[1 2 3][4 5 6]
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .common import UsageError, run_tool

PROG = "webtensor-run"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Run a function of a WebTensor artifact.")
    parser.add_argument("artifact", nargs="?", help="a .vmfb written by webtensor-compile or Model.save, or a .wtpkg package (compiled here first)")
    parser.add_argument("--weights", metavar="FILE", help="bind the model's weights from this file (safetensors, .irpa or .wtpkg)")
    parser.add_argument("--function", default=None, help="the function to run (default: main)")
    parser.add_argument("--input", dest="inputs", action="append", default=[], metavar="VALUE", help="2x3xf32=1,2,3,4,5,6, f32=1, or @file.npy (repeat per input)")
    parser.add_argument("--output", dest="outputs", action="append", default=[], metavar="WHERE", help="@file.npy writes the next result to a file, '-' prints it (repeat per result)")
    parser.add_argument("--device", default=None, help="local-task (default for CPU artifacts), local-sync, vulkan, cuda; node or chromium runs a wasm32 artifact in Node.js or headless Chromium through the web runtime")
    parser.add_argument("--power-preference", choices=("default", "low-power", "high-performance"), default="default", help="how to pick a device when --device is not given")
    parser.add_argument("--fuel", type=int, default=None, help="the call's work budget in work units (default 10^11, about ten seconds of CPU work)")
    parser.add_argument("--deadline", type=float, default=None, metavar="SECONDS", help="give up on the call after this many seconds")
    parser.add_argument("--list-devices", action="store_true", help="print the devices this machine can run and exit")
    parser.add_argument("--print-max-elements", type=int, default=1024, help="elide tensors with more elements (default 1024)")
    parser.add_argument("--print-signature", action="store_true", help="print the function's signature and exit")
    return parser


def run(args: argparse.Namespace) -> int:
    from .. import load
    from ..runtime.devices import devices
    from .tensor_io import TensorSpecError, parse_value

    if args.list_devices:
        for info in devices():
            print(f"{info.name}: {info.description} (runs {', '.join(info.targets)} artifacts)")
        return 0
    if args.artifact is None:
        raise UsageError("give an artifact to run (or --list-devices)")
    if args.device in ("node", "chromium"):
        return _run_on_the_web(args)
    model = load(args.artifact, device=args.device, power_preference=args.power_preference, weights=args.weights)
    entry = model[args.function] if args.function else model.default
    if args.print_signature:
        print(entry.signature)
        return 0
    try:
        inputs = [parse_value(text) for text in args.inputs]
    except TensorSpecError as e:
        raise UsageError(str(e)) from None
    results = entry.call_flat(inputs, fuel=args.fuel, deadline=args.deadline)
    print(f"EXEC @{entry.signature.name}")
    _emit(results, args, lambda i: _result_name(entry.signature, i))
    return 0


def _emit(results, args: argparse.Namespace, name_of) -> None:
    """Prints each result, or saves it where --output says."""
    import numpy as np

    from .tensor_io import format_tensor

    for i, result in enumerate(results):
        where = args.outputs[i] if i < len(args.outputs) else "-"
        if where.startswith("@"):
            np.save(where[1:], result, allow_pickle=False)
            continue
        if where != "-":
            raise UsageError(f"--output={where}: write @file.npy or -")
        print(f"{name_of(i)}: hal.buffer_view")
        print(format_tensor(result, args.print_max_elements))


def _run_on_the_web(args: argparse.Namespace) -> int:
    """--device=node or chromium: the call runs through web/webtensor.mjs, in
    Node or in a Web Worker of headless Chromium; inputs, outputs and
    --weights (safetensors or .wtpkg) and --deadline (the worker is stopped
    at it) are the same as for local devices. A package is compiled here for
    wasm32 (cached, as for local devices) and its weights bound unless
    --weights gives others."""
    from ..runtime.errors import require_compiler
    from ..runtime.package import is_package
    from ..web.chromium import run_in_chromium
    from ..web.node import run_in_node
    from .tensor_io import TensorSpecError, parse_value

    if args.print_signature:
        raise UsageError(f"--print-signature is not available with --device={args.device}")
    try:
        inputs = [parse_value(text) for text in args.inputs]
    except TensorSpecError as e:
        raise UsageError(str(e)) from None
    artifact, weights = args.artifact, args.weights
    if is_package(artifact):
        require_compiler(f"running a package (.wtpkg) on --device={args.device}, which is compiled for wasm32 first,")
        from ..compiler.api import artifact_bytes, import_model, make_options, open_cache

        imported, _ = import_model(artifact)
        artifact = artifact_bytes(imported, make_options(None, {"target": "wasm32"}), open_cache(True))
        weights = weights or args.artifact
    call = {"function": args.function, "fuel": args.fuel, "weights": weights, "deadline": args.deadline}
    if args.device == "node":
        results = run_in_node(artifact, inputs, **call).outputs
    else:
        results = run_in_chromium(artifact, inputs, **call)
    print(f"EXEC @{args.function or 'main'}")
    _emit(results, args, lambda i: f"result[{i}]")
    return 0


def _result_name(signature, index: int) -> str:
    """`result[i]`, as iree-run-module prints it, unless the function returns
    a dict: then the keys, `result['logits']`, say which result is which."""
    name = signature.outputs[index].name if index < len(signature.outputs) else ""
    return name if "['" in name else f"result[{index}]"


def main(argv: Sequence[str] | None = None) -> int:
    return run_tool(PROG, build_parser(), run, argv)


if __name__ == "__main__":
    sys.exit(main())
