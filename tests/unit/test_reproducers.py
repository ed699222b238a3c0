"""Failed compiles leave their input where one command reproduces it, and
never more than a small, fixed amount of disk unless the user asked."""

import os

import pytest

import webtensor
from webtensor.compiler import reproducers

BAD = "func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {{\n  %0 = stablehlo.bogus{n} %a : tensor<4xf32>\n  return %0 : tensor<4xf32>\n}}"


@pytest.fixture
def private_tmp(tmp_path, monkeypatch):
    monkeypatch.delenv(reproducers.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.setattr(reproducers.tempfile, "gettempdir", lambda: str(tmp_path))
    return tmp_path


def test_failed_compiles_keep_a_bounded_number_of_inputs(private_tmp, monkeypatch):
    monkeypatch.setattr(reproducers, "MAX_KEPT", 3)
    paths = []
    for n in range(5):
        with pytest.raises(webtensor.CompileError) as info:
            webtensor.compile(BAD.format(n=n), isolate=False)
        paths.append(info.value.reproducer)
        assert open(paths[-1]).read() == BAD.format(n=n)
    root = reproducers.default_directory()
    assert sorted(os.listdir(root)) == sorted(os.path.basename(os.path.dirname(p)) for p in paths[-3:])
    assert not os.path.exists(paths[0]) and os.path.exists(paths[-1])
    assert oct(os.stat(root).st_mode & 0o777) == "0o700"


def test_the_same_input_is_kept_once(private_tmp):
    first = reproducers.save(BAD.format(n=0))
    assert reproducers.save(BAD.format(n=0)) == first
    assert len(os.listdir(reproducers.default_directory())) == 1


def test_large_inputs_are_saved_only_when_asked(private_tmp, monkeypatch, tmp_path):
    monkeypatch.setattr(reproducers, "MAX_SAVED_BYTES", 10)
    with pytest.raises(webtensor.CompileError) as info:
        webtensor.compile(BAD.format(n=1), isolate=False)
    assert info.value.reproducer is None and "note: the failing input was saved" not in str(info.value)
    assert not (private_tmp / f"webtensor-reproducers-{os.getuid()}").exists()
    monkeypatch.setenv(reproducers.ENVIRONMENT_VARIABLE, str(tmp_path / "asked"))
    with pytest.raises(webtensor.CompileError) as info:
        webtensor.compile(BAD.format(n=1), isolate=False)
    assert info.value.reproducer == str(tmp_path / "asked" / "input.mlir")
