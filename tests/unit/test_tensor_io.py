"""Tensors on the command line: IREE's notation in, iree-run-module's format out."""

import numpy as np
import pytest

from webtensor.tools.tensor_io import TensorSpecError, format_tensor, parse_type, parse_value


def test_parse_values():
    np.testing.assert_array_equal(parse_value("2x3xf32=1,2,3,4,5,6"), np.arange(1, 7, dtype=np.float32).reshape(2, 3))
    assert parse_value("f32=1.5").shape == ()
    assert parse_value("2x2xi8=-128").tolist() == [[-128, -128], [-128, -128]]
    assert parse_value("3xi1=1,0,true").tolist() == [True, False, True]
    assert parse_value("2xbf16=1,2").dtype.name == "bfloat16"
    assert parse_value("2xui8=[1 255]").tolist() == [1, 255]


def test_parse_npy(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.arange(4, dtype=np.int64))
    assert parse_value(f"@{path}").tolist() == [0, 1, 2, 3]
    with pytest.raises(TensorSpecError, match="no such file"):
        parse_value(f"@{tmp_path / 'missing.npy'}")


@pytest.mark.parametrize(
    "text, message",
    [
        ("2x3xf32", "has no values"),
        ("2x3xf99=1", "unknown element type 'f99'"),
        ("2xx3xf32=1", "malformed shape"),
        ("2x3xf32=1,2", "needs 6 values, got 2"),
        ("2xi8=1,300", "300 is out of range for int8"),
        ("2xi1=1,2", "'2' is not a boolean"),
        ("2xf32=a,b", "could not convert"),
    ],
)
def test_parse_errors(text, message):
    with pytest.raises(TensorSpecError, match=message):
        parse_value(text)


def test_parse_type():
    shape, element = parse_type("1x784xf32")
    assert shape == (1, 784) and element.name == "float32"


def test_format_like_iree_run_module():
    assert format_tensor(np.array([[0.666667, 2e-9, 246913578], [-0.0, np.nan, np.inf]], np.float32)) == (
        "2x3xf32=[0.666667 2E-09 2.46914E+08][-0 NAN INF]"
    )
    assert format_tensor(np.array(7, np.int32)) == "i32=7"
    assert format_tensor(np.ones((2, 2, 2), np.int8)) == "2x2x2xi8=[[1 1][1 1]][[1 1][1 1]]"
    assert format_tensor(np.array([True, False])) == "2xi1=[1 0]"
    assert format_tensor(np.zeros(2000, np.float32)) == "2000xf32=..."


def test_complex_types_parse_as_they_print():
    # The x inside "complex" is no dimension separator.
    assert parse_type("3xcomplex<f32>")[0] == (3,)
    assert parse_type("complex<f64>")[1].name == "complex128"
    values = np.array([1 - 2j, -0.5 + 0j, 3.25 + 1e-3j], np.complex64)
    printed = format_tensor(values)
    assert printed == "3xcomplex<f32>=[1-2i -0.5+0i 3.25+0.001i]"
    np.testing.assert_array_equal(parse_value(printed), values)
    assert parse_value("2xcomplex<f64>=1+2j").tolist() == [1 + 2j, 1 + 2j]  # Python's spelling too
    with pytest.raises(TensorSpecError, match="malformed shape in '3complex<f32>'"):
        parse_type("3complex<f32>")
