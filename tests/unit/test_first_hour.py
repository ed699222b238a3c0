"""The first hour of a new user (issue 13): the natural mistakes and next
steps, each with the exact message or behaviour the user sees."""

import logging
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import webtensor
from webtensor.compiler.options import CompileOptions, llvm_cpus


def _line_of(text: str) -> int:
    """The line of this file that holds `text`: where a diagnostic must point."""
    with open(__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line and "_line_of" not in line)


# --- 2: an op outside the profile is named, at the user's line -------------


def test_cholesky_is_reported_as_a_custom_call_at_the_users_line():
    with pytest.raises(webtensor.CompileError) as caught:
        webtensor.compile(lambda a: jnp.linalg.cholesky(a), np.eye(3, dtype=np.float32), cache=False)  # cholesky here
    message = str(caught.value)
    assert "sdy" not in message
    assert f"test_first_hour.py:{_line_of('# cholesky here')}:" in message
    assert (
        "error: 'stablehlo.custom_call' is not allowed: it hands control to the host or another device "
        "(cholesky lowers to @lapack_spotrf_ffi, a library on the exporting host)"
    ) in message


# --- 3: float64 stays float64 ----------------------------------------------


def test_float64_arrays_compile_as_float64_and_match_jax_with_x64():
    rng = np.random.default_rng()
    a, b = rng.standard_normal((2, 5)), rng.standard_normal((5, 3))

    def fn(a, b):
        return jnp.maximum(a @ b, 0) * 2 + a.sum()  # f64 has no transcendental ops in the profile

    model = webtensor.compile(fn, a, b, cache=False)
    assert str(model.signature) == "main(a: float64[2,5], b: float64[5,3]) -> (result: float64[2,3])"
    got = model(a, b)
    with jax.enable_x64(True):
        want = np.asarray(jax.jit(fn)(a, b))
    assert got.dtype == want.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert not jax.config.jax_enable_x64  # the user's setting is untouched


def test_float32_models_are_unchanged_by_the_float64_rule():
    x = np.ones(3, np.float32)
    model = webtensor.compile(lambda x: x + jnp.zeros(3), x, cache=False)
    assert str(model.signature) == "main(x: float32[3]) -> (result: float32[3])"


# --- 4: static arguments, as jax.jit's ---------------------------------------


def test_static_argnums_fix_an_argument_and_leave_it_out_of_the_model():
    x = np.random.default_rng().standard_normal(3).astype(np.float32)
    model = webtensor.compile(lambda x, n: jnp.tile(x, n), x, 2, static_argnums=1, cache=False)
    assert str(model.signature) == "main(x: float32[3]) -> (result: float32[6])"
    np.testing.assert_array_equal(model(x), np.tile(x, 2))


def test_a_python_int_traced_as_an_array_suggests_static_argnums():
    with pytest.raises(webtensor.CompileError) as caught:
        webtensor.compile(lambda x, n: jnp.tile(x, n), np.ones(3, np.float32), 2, cache=False)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("jax:<lambda>: jax.export failed: TypeError:") and "not hashable" in lines[0]
    assert lines[1] == "note: if n sets a shape or a count, pass static_argnums=1, as to jax.jit"


def test_static_argnames_name_the_arguments():
    def fn(x, reps, scale):
        return jnp.tile(x, reps) * scale

    x = np.random.default_rng().standard_normal(2).astype(np.float32)
    model = webtensor.compile(fn, x, (2, 2), np.float32(3), static_argnames="reps", cache=False)
    assert str(model.signature) == "main(x: float32[2], scale: float32[]) -> (result: float32[2,4])"
    want = jax.jit(fn, static_argnames="reps")(x, (2, 2), np.float32(3))
    np.testing.assert_allclose(model(x, np.float32(3)), want, rtol=1e-6)


@pytest.mark.parametrize(
    "keywords, message",
    [
        ({"static_argnames": "m"}, "static_argnames='m': no positional argument named 'm'; the arguments are x, n"),
        ({"static_argnums": 2}, "static_argnums=2: the function has 2 example arguments"),
        ({"static_argnums": 1, "weights_argnums": 1}, "an argument cannot be both static and a weight: [1]"),
    ],
)
def test_static_argument_mistakes(keywords, message):
    def fn(x, n):
        return jnp.tile(x, n)

    with pytest.raises(webtensor.InvalidArgument, match=re.escape(message)):
        webtensor.compile(fn, np.ones(3, np.float32), 2, cache=False, **keywords)


# --- 5: one problem, one message, at the user's line -------------------------


def test_a_limit_is_reported_once_at_the_users_line():
    with pytest.raises(webtensor.CompileError) as caught:
        webtensor.compile(lambda x: x * 2, np.ones(3, np.float32), limits=webtensor.Limits(max_tensor_elements=2), cache=False)  # limit here
    lines = str(caught.value).splitlines()
    errors = [line for line in lines if "has 3 elements" in line]
    assert errors == [f"{__file__}:{_line_of('# limit here')}:{errors[0].split(':')[2]}: error: tensor<3xf32> has 3 elements, above the limit of 2"]
    assert "compiler/frontends" not in str(caught.value)


# --- 6: an unknown CPU is refused before the worker starts -------------------


def test_an_unknown_target_cpu_lists_llvms_names():
    if not llvm_cpus():
        pytest.skip("iree-compile did not list LLVM's CPUs here")
    known = llvm_cpus()
    with pytest.raises(webtensor.InvalidArgument, match=re.escape(f"unknown target CPU 'nosuchcpu'; valid values: host, generic, {known[0]}, ")):
        CompileOptions(target_cpu="nosuchcpu")
    assert CompileOptions(target_cpu=known[-1]).target_cpu == known[-1]


# --- 9: errors are ours, and Python's ----------------------------------------


@pytest.fixture(scope="module")
def model():
    def fn(params, x):
        return params["w"] * x

    return webtensor.compile(fn, {"w": np.ones(3, np.float32)}, np.ones(3, np.float32), cache=False)


def test_a_bad_option_value_is_an_invalid_argument_and_a_value_error():
    with pytest.raises(webtensor.InvalidArgument, match="unknown target 'cpu'; valid values: llvm-cpu, vulkan-spirv, cuda, wasm32") as caught:
        webtensor.compile(lambda x: x, np.ones(3, np.float32), target="cpu")
    assert isinstance(caught.value, ValueError)


def test_a_mistyped_keyword_is_an_invalid_argument_and_a_type_error():
    with pytest.raises(webtensor.InvalidArgumentType, match=r"unknown compile option\(s\) \['targt'\]") as caught:
        webtensor.compile(lambda x: x, np.ones(3, np.float32), targt="cpu")
    assert isinstance(caught.value, TypeError) and isinstance(caught.value, webtensor.InvalidArgument)


def test_a_missing_function_is_a_key_error_that_reads_as_a_sentence(model):
    try:
        model["nosuch"]
    except KeyError as e:
        assert isinstance(e, webtensor.NotFound)
        assert str(e) == "no function 'nosuch' in this model; functions: main"
    else:
        pytest.fail("model['nosuch'] did not raise KeyError")


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m: m(), "main takes 2 arguments (params, x), got 0"),
        (lambda m: m([1], np.ones(3, np.float32)), "argument params: expected a dict, got a list"),
        (lambda m: m({"w": None}, np.ones(3, np.float32)), "argument params['w']: expected an array, got None"),
    ],
)
def test_structure_errors_name_the_argument_and_are_type_errors(model, call, message):
    with pytest.raises(TypeError, match=re.escape(message)) as caught:
        call(model)
    assert isinstance(caught.value, webtensor.InvalidArgument)


def test_one_argument_is_singular():
    model = webtensor.compile(lambda x: x, np.ones(3, np.float32), cache=False)
    with pytest.raises(TypeError, match=re.escape("main takes 1 argument (x), got 0")):
        model()
    with pytest.raises(TypeError, match=re.escape("main takes 1 array (x), got 2")):
        model.default.call_flat([np.ones(3, np.float32)] * 2)


# --- 10: progress of a compile -----------------------------------------------


@pytest.mark.parametrize("isolate", [True, False])
def test_progress_reports_each_phase_to_the_callback_and_the_log(isolate, caplog):
    events = []
    with caplog.at_level(logging.INFO, logger="webtensor.compile"):
        webtensor.compile(
            lambda x: x * 3, np.ones(3, np.float32), cache=False, isolate=isolate, on_progress=lambda *e: events.append(e)
        )
    phases = ["export", "legalized", "sandboxed", "linalg", "vmfb"]
    assert [name for name, seconds in events if seconds is None] == phases
    assert [name for name, seconds in events if seconds is not None] == phases
    assert all(seconds >= 0 for _, seconds in events if seconds is not None)
    logged = [r.getMessage() for r in caplog.records if r.name == "webtensor.compile"]
    assert [m.split()[0] for m in logged] == phases
    assert re.fullmatch(r"vmfb phase done in \d+\.\d\d s", logged[-1])
