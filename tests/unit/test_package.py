"""Packages (.wtpkg): export, load in another process, and refusal of every
package whose bytes or manifest do not check out."""

import copy
import json
import re
import subprocess
import sys
import textwrap

import jax
import numpy as np
import pytest

import webtensor
from webtensor.runtime import package as package_format
from webtensor.runtime.package import Package
from webtensor.bench.models import mlp, mlp_params


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(7)


@pytest.fixture(scope="module")
def params(rng):
    return mlp_params(rng, (8, 16, 16, 3))


@pytest.fixture(scope="module")
def x(rng):
    return rng.standard_normal((2, 8)).astype(np.float32)


@pytest.fixture(scope="module")
def exported(params, x):
    return webtensor.export(mlp, params, x, weights_argnums=0)


@pytest.fixture(scope="module")
def path(exported, tmp_path_factory):
    path = tmp_path_factory.mktemp("package") / "mlp.wtpkg"
    exported.save(path)
    return path


def _reference(params, x):
    return np.asarray(jax.jit(mlp)(params, x))


def test_export_in_one_process_load_in_another(path, params, x, tmp_path):
    np.save(tmp_path / "x.npy", x)
    script = textwrap.dedent(
        f"""
        import numpy as np, webtensor
        model = webtensor.load({str(path)!r})
        assert model.weights_source.startswith("package "), model.weights_source
        np.save({str(tmp_path / 'y.npy')!r}, model(np.load({str(tmp_path / 'x.npy')!r})))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), _reference(params, x), rtol=1e-5, atol=1e-5)


def test_the_manifest_says_what_the_package_holds(path, params):
    manifest = Package.open(path).manifest
    assert manifest["format"] == "webtensor-package" and manifest["format_version"] == 1
    assert manifest["profile"] == "webtensor-profile/1"
    assert manifest["producer"]["name"] == "webtensor" and manifest["producer"]["frontend"].startswith("jax ")
    program = manifest["program"]
    assert program["encoding"] == "stablehlo-portable-artifact"
    assert program["compatibility"] == {"readable_from": program["stablehlo_version"], "backward_years": 5, "forward_years": 2}
    weights = {w["name"]: w for w in manifest["weights"]}
    assert set(weights) == {f"params['{k}']" for k in params}
    assert weights["params['w1']"]["shape"] == [8, 16] and weights["params['w1']"]["length"] == 8 * 16 * 4
    assert all(w["offset"] % 64 == 0 for w in manifest["weights"])
    main = manifest["entry_points"]["main"]
    assert main["input_names"] == ["x"] and len(main["program_args"]) == 7


def test_the_weights_are_stored_once(path, params):
    size = path.stat().st_size
    weights = sum(a.nbytes for a in params.values())
    program = Package.open(path).program_section.length
    assert weights + program < size < weights + program + 64 * 8 + 4096


def test_every_flipped_byte_is_refused(path, tmp_path):
    data = path.read_bytes()
    damaged = tmp_path / "damaged.wtpkg"
    for offset in range(len(data)):
        flipped = bytearray(data)
        flipped[offset] ^= 0x10
        damaged.write_bytes(flipped)
        with pytest.raises((webtensor.SecurityError, webtensor.InvalidEncoding)):
            Package.open(damaged)
    for changed in (data[:-1], data + b"\0", data[:100]):
        damaged.write_bytes(changed)
        with pytest.raises(webtensor.SecurityError):
            Package.open(damaged)


def test_damage_says_where(path, tmp_path):
    data = bytearray(path.read_bytes())
    weight = Package.open(path).weights[0].section
    data[weight.offset + 1] ^= 1
    damaged = tmp_path / "damaged.wtpkg"
    damaged.write_bytes(data)
    message = f"the section at byte {weight.offset} ({weight.length} bytes) does not match its hash: the package is damaged or was altered"
    with pytest.raises(webtensor.SecurityError, match=re.escape(message)):
        webtensor.load(damaged)


def test_a_newer_format_says_so(path, tmp_path):
    data = bytearray(path.read_bytes())
    data[8:12] = (2).to_bytes(4, "little")
    newer = tmp_path / "newer.wtpkg"
    newer.write_bytes(data)
    with pytest.raises(webtensor.InvalidEncoding, match=re.escape("package format 2; this WebTensor reads format 1 (a newer format: upgrade WebTensor to load it)")):
        webtensor.load(newer)


def _rewritten(exported, tmp_path, change):
    """A package whose manifest was changed and hashed again: it checks out
    byte for byte, and only the compiler can tell that it lies."""
    manifest = copy.deepcopy(exported.manifest)
    change(manifest)
    path = tmp_path / "lying.wtpkg"
    package_format.write(path, manifest, exported.program, exported.weights)
    return path


def test_manifests_that_lie_are_refused(exported, tmp_path):
    def input_type(m):
        m["entry_points"]["main"]["input_types"][0]["shape"] = [2, 9]

    def output_type(m):
        m["entry_points"]["main"]["output_types"][0]["dtype"] = "float16"

    def version(m):
        m["program"]["stablehlo_version"] = "1.0.0"

    def profile(m):
        m["profile"] = "webtensor-profile/9"

    def weight(m):
        m["entry_points"]["main"]["weights"][0]["shape"] = [17]

    def order(m):
        # b2 and b3 swap places; b1 and b2 would not show (the same type),
        # and need not: which weight feeds which argument is the author's to say.
        args = m["entry_points"]["main"]["program_args"]
        args[1], args[2] = args[2], args[1]

    cases = [
        (input_type, "@main argument 6 (x) has type float32[2,8], but its interface declares float32[2,9]"),
        (output_type, "@main result 0 (result) has type float32[2,3], but its interface declares float16[2,3]"),
        (version, "the manifest says StableHLO 1.0.0, but the program is StableHLO"),
        (profile, "the package needs the profile 'webtensor-profile/9'; this WebTensor implements 'webtensor-profile/1'"),
        (weight, "entry point 'main' reads weight \"params['b1']\" as float32[17], which the package does not hold"),
        (order, "@main argument 1 (params['b3']) has type float32[16], but its interface declares float32[3]"),
    ]
    for change, message in cases:
        with pytest.raises(webtensor.CompileError, match=re.escape(message)):
            webtensor.load(_rewritten(exported, tmp_path, change), cache=False)


def test_a_stored_weight_that_disagrees_with_its_entry_is_refused(exported, tmp_path):
    spec, value = exported.weights[0]
    weights = ((spec, value[:8]),) + exported.weights[1:]  # 8 values for a float32[16]
    path = tmp_path / "short.wtpkg"
    with pytest.raises(ValueError, match=re.escape("weight params['b1']: float32[8] is not float32[16]")):
        package_format.write(path, exported.manifest, exported.program, weights)


def test_other_weights_override_the_packaged_ones(path, params, x, tmp_path, rng):
    tuned = {f"params['{k}']": v * 2 for k, v in params.items()}
    other = tmp_path / "tuned.safetensors"
    webtensor.save_weights(other, tuned)
    model = webtensor.load(path, weights=other)
    np.testing.assert_allclose(model(x), _reference({k: v * 2 for k, v in params.items()}, x), rtol=1e-5, atol=1e-5)


def test_the_same_program_with_other_weights_is_a_cache_hit(exported, path, params, x, tmp_path):
    webtensor.load(path)
    other = tmp_path / "other.wtpkg"
    webtensor.export(mlp, {k: -v for k, v in params.items()}, x, weights_argnums=0).save(other)
    before = webtensor.ArtifactCache().stats()
    model = webtensor.load(other)
    after = webtensor.ArtifactCache().stats()
    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
    np.testing.assert_allclose(model(x), _reference({k: -v for k, v in params.items()}, x), rtol=1e-5, atol=1e-5)


def test_a_stablehlo_program_and_a_weights_file_make_a_package(params, x, tmp_path):
    from webtensor.compiler.frontends.jax_function import portable_artifact

    program = tmp_path / "mlp.mlirbc"
    program.write_bytes(portable_artifact(mlp, (params, x)))
    weights = tmp_path / "mlp.safetensors"
    webtensor.save_weights(weights, {f"params['{k}']": v for k, v in params.items()})
    target = tmp_path / "from-stablehlo.wtpkg"
    webtensor.export(str(program), weights=str(weights)).save(target)
    manifest = Package.open(target).manifest
    assert manifest["producer"]["frontend"] == "stablehlo"
    model = webtensor.load(target)
    assert str(model.signature) == "main(arg0: float32[2,8]) -> (result0: float32[2,3])"
    np.testing.assert_allclose(model(x), _reference(params, x), rtol=1e-5, atol=1e-5)


def test_export_needs_the_weights_values(params, x):
    shapes = jax.tree_util.tree_map(lambda a: jax.ShapeDtypeStruct(a.shape, a.dtype), params)
    with pytest.raises(ValueError, match="a package holds its weights' values"):
        webtensor.export(mlp, shapes, x, weights_argnums=0)


def test_packages_load_from_a_path_only(path):
    with pytest.raises(webtensor.InvalidArgument, match="load a package from its path"):
        webtensor.load(path.read_bytes())
    with pytest.raises(webtensor.UnsupportedOperation, match="a package is compiled for this host"):
        webtensor.runtime.load(path)


def test_text_that_is_no_path_is_no_package():
    for text in ("func.func @main() {\n return\n}", "a\0b", "\ud800", "/no/such/file.wtpkg"):
        assert not package_format.is_package(text)


def test_scalar_weights_keep_their_rank(tmp_path):
    # np.ascontiguousarray makes a 0-d array rank 1: a scalar weight once
    # came back as float32[1] and its own package refused it.
    params = {"scale": np.float32(2.0)}
    x = np.ones(3, np.float32)
    path = tmp_path / "scaled.wtpkg"
    webtensor.export(lambda p, x: x * p["scale"], params, x, weights_argnums=0).save(path)
    np.testing.assert_array_equal(webtensor.load(path)(x), x * 2)
    weights = tmp_path / "scale.safetensors"
    webtensor.save_weights(weights, {"p['scale']": np.float32(3.0)})
    from webtensor.runtime.weights import file_tensor_specs

    assert file_tensor_specs(str(weights))[0].shape == ()


def test_a_package_runs_its_calls_in_a_child_process(path, x):
    model = webtensor.load(path, process=True)
    try:
        assert model.process is not None
        np.testing.assert_allclose(model(x), webtensor.load(path)(x), rtol=1e-6)
    finally:
        model.close()
