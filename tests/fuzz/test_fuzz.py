"""Fuzzing what reads untrusted bytes: the gate, the loader, the parser and
the verifier. Every input must end in a result or a CompileError: never
another exception, a crash of this process, or a hang.

Mutations of valid StableHLO text, MLIR bytecode and portable artifacts:
bit flips, replaced bytes, truncation, splices of two inputs, deep nesting,
huge numbers. About one mutated bytecode in 250 crashes IREE's bytecode
reader or jaxlib's deserializer, and some hang it: tests/unit/inputs/ keeps
a few, and the worker turns them into CompileErrors.
The gate and the loader run in this process (pure Python, many examples);
the parser and the verifier run in the compiler worker up to the legalized
phase (a process start each, so fewer examples).

CI runs a fixed, derandomized budget (about 30 s on 2 shared cores). To
fuzz longer, with fresh random inputs:

    WEBTENSOR_FUZZ_EXAMPLES=2000 pytest tests/fuzz -p no:randomly -s

Hypothesis prints each failing input, shrunk; crashes that the worker turned
into CompileErrors are counted in the statistics (`--hypothesis-show-statistics`).
"""

from __future__ import annotations

import functools
import io
import os
import re

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import webtensor  # noqa: E402
from webtensor.compiler import gate  # noqa: E402
from webtensor.compiler.frontends.stablehlo_file import load_any, load_bytes  # noqa: E402
from webtensor.compiler.options import IsolationLimits  # noqa: E402
from webtensor.compiler.worker import WorkerFailure  # noqa: E402

LONG_RUN = int(os.environ.get("WEBTENSOR_FUZZ_EXAMPLES", "0"))
IN_PROCESS_EXAMPLES = LONG_RUN * 10 or 400
WORKER_EXAMPLES = LONG_RUN or 40
# Generous against a loaded machine, short against a hang.
WORKER_LIMITS = IsolationLimits(memory_bytes=4 << 30, cpu_seconds=60, wall_seconds=30)

common = dict(
    derandomize=not LONG_RUN,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

WHILE_LOOP = """
func.func @main(%x: tensor<4xf32>, %n: tensor<i32>) -> (tensor<4xf32>, tensor<i32>) {
  %c0 = stablehlo.constant dense<0> : tensor<i32>
  %c1 = stablehlo.constant dense<1> : tensor<i32>
  %w = stablehlo.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %r:2 = stablehlo.while(%i = %c0, %acc = %x) : tensor<i32>, tensor<4xf32>
    cond {
      %lt = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %lt : tensor<i1>
    } do {
      %next = stablehlo.add %i, %c1 : tensor<i32>
      %m = stablehlo.multiply %acc, %w : tensor<4xf32>
      stablehlo.return %next, %m : tensor<i32>, tensor<4xf32>
    }
  %s = chlo.erf %r#1 : tensor<4xf32> -> tensor<4xf32>
  return %s, %r#0 : tensor<4xf32>, tensor<i32>
}
"""

SLICES = """
// A comment with "quotes" and (brackets.
func.func @main(%x: tensor<8x3xf32>, %i: tensor<i64>) -> tensor<2x3xf32> attributes {note = "a \\"string\\" (with) <brackets>"} {
  %z = stablehlo.constant dense<0> : tensor<i64>
  %0 = stablehlo.dynamic_slice %x, %i, %z, sizes = [2, 3] : (tensor<8x3xf32>, tensor<i64>, tensor<i64>) -> tensor<2x3xf32>
  %1 = stablehlo.reshape %0 : (tensor<2x3xf32>) -> tensor<6xf32>
  %2 = stablehlo.reshape %1 : (tensor<6xf32>) -> tensor<2x3xf32>
  return %2 : tensor<2x3xf32>
}
"""


@functools.cache
def seeds() -> tuple[bytes, ...]:
    texts = [WHILE_LOOP.encode(), SLICES.encode()]
    return tuple(texts + [_bytecode(text) for text in texts] + [_portable()])


def _bytecode(text: bytes) -> bytes:
    from webtensor.compiler.frontends.stablehlo_file import load_text
    from webtensor.compiler.session import CompilerSession

    session = CompilerSession()  # trusted seeds: parsing them here is safe
    buffer = io.BytesIO()
    session.parse(load_text(text.decode())).operation.write_bytecode(buffer)
    session.close()
    return buffer.getvalue()


def _portable() -> bytes:
    import jax

    from webtensor.compiler.frontends.jax_function import portable_artifact

    def f(x, i):
        y = jax.lax.fori_loop(0, 3, lambda _, v: v * 2.0, x)
        return jax.lax.dynamic_slice(y, (i,), (2,)), x[jax.numpy.array([0, 3])]

    return portable_artifact(f, (np.zeros(4, np.float32), np.int32(1)))


# --- Mutations -------------------------------------------------------------------

HUGE = [b"0", b"-1", b"4294967296", b"9223372036854775808", b"99999999999999999999999999", b"1e308", b"nan"]
NESTING = [b"tuple<", b"(", b"[", b"{", b"<", b"module {\n", b'"', b"//", b"->"]


@st.composite
def mutated(draw) -> bytes:
    data = draw(st.sampled_from(seeds()))
    for _ in range(draw(st.integers(1, 3))):
        data = draw(st.sampled_from(MUTATIONS))(draw, data)
    return data


def _flip_bits(draw, data: bytes) -> bytes:
    # The low seven bits only, so that text stays ASCII and reaches the parser.
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 8))):
        if out:
            out[draw(st.integers(0, len(out) - 1))] ^= 1 << draw(st.integers(0, 6))
    return bytes(out)


def _replace_byte(draw, data: bytes) -> bytes:
    # Any value: in bytecode this rewrites lengths and indices wholesale.
    at = draw(st.integers(0, max(0, len(data) - 1)))
    return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]


def _truncate(draw, data: bytes) -> bytes:
    return data[: draw(st.integers(0, len(data)))]


def _splice(draw, data: bytes) -> bytes:
    other = draw(st.sampled_from(seeds()))
    at, start = draw(st.integers(0, len(data))), draw(st.integers(0, len(other)))
    return data[:at] + other[start : draw(st.integers(start, len(other)))] + data[draw(st.integers(at, len(data))) :]


def _nest(draw, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    depth = draw(st.sampled_from([2, 255, 257, 5000, 100_000]))
    return data[:at] + draw(st.sampled_from(NESTING)) * depth + data[at:]


def _huge_number(draw, data: bytes) -> bytes:
    digits = [i for i, byte in enumerate(data) if 0x30 <= byte <= 0x39]
    at = draw(st.sampled_from(digits)) if digits else 0
    return data[:at] + draw(st.sampled_from(HUGE)) + data[at + 1 :]


def _random_bytes(draw, data: bytes) -> bytes:
    at = draw(st.integers(0, len(data)))
    return data[:at] + draw(st.binary(max_size=16)) + data[at:]


MUTATIONS = [_flip_bits, _replace_byte, _truncate, _splice, _nest, _huge_number, _random_bytes]


# --- Targets ---------------------------------------------------------------------


@settings(max_examples=IN_PROCESS_EXAMPLES, deadline=2000, **common)
@given(mutated())
def test_gate_and_loader(data):
    try:
        gate.check(load_bytes(data))
    except webtensor.CompileError as e:
        event(f"rejected: {_what(e)}")


@settings(max_examples=IN_PROCESS_EXAMPLES // 2, deadline=2000, **common)
@given(st.one_of(st.text(), st.binary()))
def test_gate_and_loader_on_anything(source):
    try:
        gate.check(load_any(source))
    except webtensor.CompileError:
        pass


@pytest.mark.slow
@settings(max_examples=WORKER_EXAMPLES, deadline=None, **common)
@given(mutated())
def test_parser_and_verifier_in_the_worker(data):
    try:
        webtensor.compile_ir(data, phase="legalized", isolation_limits=WORKER_LIMITS)
        event("legalized")
    except WorkerFailure as e:
        event(f"worker {e.reason}")
        # The worker's own failures are bugs in WebTensor, not hostile input.
        assert e.reason not in ("internal", "malformed"), str(e)
    except webtensor.CompileError as e:
        event(f"error: {_what(e)}")


def _what(error: webtensor.CompileError) -> str:
    """What kind of error, for the statistics: its summary without the source name."""
    return re.sub(r"\d+", "N", error.summary.split(": ", 1)[-1])[:48]
