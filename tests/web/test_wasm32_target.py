"""The wasm32 target: artifacts whose executables are wasm32 side modules
with SIMD, made through the same legalize, verify and sandbox phases as
every other target. Needs no browser: it reads the artifact."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import webtensor
from webtensor.compiler.api import compile_artifact, import_source
from webtensor.compiler.options import CompileOptions
from webtensor.runtime.artifact import Artifact
from webtensor.bench.models import MODELS

WASM_MAGIC = b"\x00asm\x01\x00\x00\x00"


def executable_formats(data: bytes, tmp_path) -> set[str]:
    """The executable format names of a .vmfb, as iree-dump-module lists them."""
    path = tmp_path / "a.vmfb"
    path.write_bytes(data)
    # The runtime wheel's own copy: found without the venv on PATH.
    import iree._runtime_libs

    tool = Path(iree._runtime_libs.__file__).parent / "iree-dump-module"
    dump = subprocess.run([str(tool), str(path)], capture_output=True, text=True, check=True).stdout
    return set(re.findall(r"embedded\s+\d+ bytes `((?:system|embedded|vmvx)[-\w]*)`", dump))


def test_wasm32_artifacts_hold_wasm_side_modules_only(tmp_path):
    model = MODELS["mlp"]
    data = compile_artifact(import_source(model.fn, model.example_args()), CompileOptions(target="wasm32"))
    assert Artifact.from_bytes(data).target == "wasm32"
    assert executable_formats(data, tmp_path) == {"system-wasm-wasm_32"}
    assert WASM_MAGIC in data


def test_wasm32_flags_ask_for_simd_and_a_wasm_linker():
    from webtensor.compiler import backend

    flags = backend.target_flags(CompileOptions(target="wasm32"))
    assert "--iree-llvmcpu-target-triple=wasm32-unknown-unknown" in flags
    assert "--iree-llvmcpu-target-cpu-features=+simd128" in flags
    assert "--iree-llvmcpu-target-cpu=generic" in flags
    assert any(flag.startswith("--iree-llvmcpu-wasm-linker-path=") for flag in flags)


def test_wasm32_goes_through_the_sandbox(tmp_path):
    # An out-of-bounds dynamic_slice start is clamped by the sandbox phase;
    # the phase runs for wasm32 as for every target.
    text = """
    func.func @main(%x: tensor<8xf32>, %i: tensor<i32>) -> tensor<2xf32> {
      %0 = stablehlo.dynamic_slice %x, %i, sizes = [2] : (tensor<8xf32>, tensor<i32>) -> tensor<2xf32>
      return %0 : tensor<2xf32>
    }"""
    path = tmp_path / "slice.mlir"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "webtensor.tools.compile", str(path), "--target=wasm32", "--compile-to=sandboxed"],
        capture_output=True, text=True, check=True,
    )
    assert "stablehlo.clamp" in done.stdout


def test_wasm32_refuses_an_unknown_wasm_cpu():
    with pytest.raises(webtensor.InvalidArgument, match="unknown target CPU 'skylake'; valid values: host, generic, "):
        CompileOptions(target="wasm32", target_cpu="skylake")
