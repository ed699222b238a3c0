"""MLIR bytecode as bytes, read by the frontend: the header, and what makes
a StableHLO portable artifact. The gate checks malformed headers with the
same reader (test_gate.py)."""

import pytest

import webtensor
from webtensor.compiler.frontends.bytecode import BytecodeHeader, read_bytecode_header
from webtensor.compiler.frontends.package import program_version
from webtensor.compiler.frontends.stablehlo_file import load_bytes


def test_not_bytecode():
    with pytest.raises(webtensor.CompileError, match=r"x: not MLIR bytecode \(no 'ML\\xefR' header\)"):
        read_bytecode_header(b"MLIR", "x")


def test_header_fields():
    header = read_bytecode_header(b"ML\xefR\x0dStableHLO_v1.15.0\x00...", "x")
    assert header == BytecodeHeader(6, "StableHLO_v1.15.0")
    assert header.portable and header.stablehlo_version == "1.15.0"
    # A two-byte prefix varint: 200 << 2 | 0b10, little-endian.
    plain = read_bytecode_header(b"ML\xefR\x22\x03MLIR\x00", "x")
    assert plain == BytecodeHeader(200, "MLIR")
    assert not plain.portable and plain.stablehlo_version is None


def test_the_frontend_tells_portable_artifacts_from_plain_bytecode_and_text():
    assert load_bytes(b"ML\xefR\x0dStableHLO_v1.15.0\x00rest").portable
    plain = load_bytes(b"ML\xefR\x0dMLIR22\x00rest")
    assert isinstance(plain.payload, bytes) and not plain.portable
    text = load_bytes(b"func.func @main() {\n  return\n}\n")
    assert isinstance(text.payload, str) and not text.portable


def test_a_package_program_must_be_a_portable_artifact():
    assert program_version(b"ML\xefR\x0dStableHLO_v1.9.3\x00", "p.wtpkg") == "1.9.3"
    with pytest.raises(webtensor.CompileError, match=r"p.wtpkg: the program is not a StableHLO portable artifact \(producer 'MLIR22'\)"):
        program_version(b"ML\xefR\x0dMLIR22\x00", "p.wtpkg")

