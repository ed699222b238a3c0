"""The front gate: size, encoding, nesting depth and bytecode header, checked
in plain Python before any parser sees the input."""

import pytest

import webtensor
from webtensor.compiler import gate
from webtensor.compiler.frontends import ImportedModule
from webtensor.compiler.frontends.stablehlo_file import load_bytes
from webtensor.compiler.gate import find_too_deep
from webtensor.compiler.options import InputLimits

ADD = "func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n  return %a : tensor<2xf32>\n}\n"


def _check(payload, limits=InputLimits()):
    gate.check(ImportedModule(payload, "<text>" if isinstance(payload, str) else "<bytes>"), limits)


def _error(payload, limits=InputLimits()) -> str:
    with pytest.raises(webtensor.CompileError) as info:
        _check(payload, limits)
    return str(info.value)


def test_valid_text_and_bytecode_pass():
    _check(ADD)
    _check(b"ML\xefR\x0dStableHLO_v1.15.0\x00\x01rest-is-for-the-reader")


# --- Nesting depth ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, depth",
    [
        ("<" * 3, 3),
        ("tuple<" * 5 + "f32" + ">" * 5, 5),
        ("(<[{", 4),
        ("((()))((()))", 3),
        ("[[[]]" + "]" * 50 + "[[", 3),  # stray closers cannot go below zero
        ('"(((((((((("  (', 1),  # brackets in strings do not count
        ('"\\"((((((((("  (', 1),  # nor after an escaped quote
        ("// ((((((((((\n(", 1),  # nor in comments
        ("<" * 2 + "->" * 10 + "<", 3),  # an arrow closes nothing
        ("<<(d0 >= 0, d0 > = 1)<", 3),  # nor >= in an affine constraint
        ("(" * 3 + ">" * 10 + "(", 4),  # a > cannot close a (
        ("<" * 3 + ")" * 10 + "<", 4),  # nor a ) a <
    ],
)
def test_depth_counts_what_the_parser_nests(text, depth):
    assert find_too_deep(text.encode(), depth) is None
    assert find_too_deep(text.encode(), depth - 1) is not None


def test_too_deep_names_the_limit_the_flag_and_where():
    unit = '%x = "((" tuple<'
    text = ADD + "// " + "(" * 300 + "\n" + unit * 300
    message = _error(text)
    # Line 5, at the 257th `<`: the last character of the 257th unit.
    assert f"<text>:5:{len(unit) * 257}: error: nesting is deeper than the limit of 256 levels" in message
    assert "raise InputLimits.max_depth (--max-nesting-depth)" in message
    _check(text, InputLimits(max_depth=300))


def test_depth_is_counted_across_chunks():
    # More than one numpy chunk of balanced pairs, then a deep tail.
    text = b"()" * (gate._CHUNK // 2 + 10) + b"\n  " + b"[" * 257
    assert find_too_deep(text, 256) == (2, 3 + 256)
    assert find_too_deep(text, 257) is None


def test_the_parser_crashing_nesting_is_rejected_before_parsing():
    # 100,000 nested regions crash MLIR's parser (see test_isolation.py).
    message = _error("module {\n" * 100_000 + "}\n" * 100_000)
    assert "<text>:257:8: error: nesting is deeper than the limit of 256" in message
    assert "rejected before parsing" in message


# --- Size and encoding -------------------------------------------------------------


@pytest.mark.parametrize("payload", ["", " \n\t\n", b""])
def test_empty_input(payload):
    assert "the input is empty" in _error(payload)


def test_input_size_limit():
    message = _error(ADD, InputLimits(max_bytes=64))
    assert f"the input is {len(ADD)} bytes, over the limit of 64; if the model is legitimate, raise InputLimits.max_bytes (--max-input-bytes)" in message
    assert "over the limit of 8" in _error(b"ML\xefR\x0dMLIR\x00123", InputLimits(max_bytes=8))


def test_nul_byte_is_located():
    assert "<text>:2:5: error: MLIR text contains a NUL byte" in _error("func\n  %0\0 = x")


def test_lone_surrogate():
    assert "MLIR text is not valid Unicode (a lone surrogate at character 3)" in _error("abc\udc80")


def test_malformed_utf8_names_the_byte():
    with pytest.raises(webtensor.CompileError, match=r"neither MLIR text \(not UTF-8 at byte 6\) nor MLIR bytecode"):
        load_bytes(b"func.f\xc3(")


@pytest.mark.parametrize("field, value", [("max_bytes", 0), ("max_depth", -1), ("max_depth", True), ("max_bytes", 1.5)])
def test_limits_must_be_positive_integers(field, value):
    with pytest.raises(ValueError, match=f"InputLimits.{field} must be a positive integer"):
        InputLimits(**{field: value})


# --- Bytecode header ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data, message",
    [
        (b"ML\xefR", "truncated MLIR bytecode: nothing after the 'ML\\xefR' header"),
        (b"ML\xefR\x00\x01\x02", "truncated MLIR bytecode: the header ends inside the version number"),
        (b"ML\xefR\x02", "truncated MLIR bytecode: the header ends inside the version number"),
        (b"ML\xefR\x0dStableHLO", "truncated MLIR bytecode: the header ends inside the producer string"),
        (b"ML\xefR\xa2\x0f" + b"MLIR\x00", "malformed MLIR bytecode: version 1000 is not a bytecode version"),
        (b"ML\xefR\x00" + (2**64 - 1).to_bytes(8, "little") + b"x\x00", "version 18446744073709551615 is not a bytecode version"),
        (b"ML\xefR\x0d" + b"A" * 300 + b"\x00", "the producer string is not NUL-terminated within 255 bytes"),
        (b"ML\xefR\x0dMLIR\x1b[31m\x00", "the producer string is not printable ASCII"),
    ],
)
def test_malformed_bytecode_header(data, message):
    assert message in _error(data)


def test_header_errors_reach_the_user_at_load():
    with pytest.raises(webtensor.CompileError, match="<bytes>: truncated MLIR bytecode"):
        webtensor.compile(b"ML\xefR\x0dStableHLO_v1")
