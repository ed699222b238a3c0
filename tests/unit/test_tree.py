"""Pytree specs: flatten in JAX's order, rebuild, and explain mismatches."""

import jax
import numpy as np
import pytest

from webtensor.runtime.errors import InvalidArgument
from webtensor.runtime.tree import TreeSpec, flatten, spec_of, unflatten


def test_flatten_matches_jax_order():
    value = {"b": [1, (2, None)], "a": {"z": 3, "y": 4}, "c": 5}
    spec = spec_of(value)
    assert flatten(spec, value) == jax.tree_util.tree_leaves(value)
    assert unflatten(spec, flatten(spec, value)) == value


def test_json_round_trip():
    spec = spec_of(({"w": 1, "b": 2}, [3, None], 4))
    assert TreeSpec.from_json(spec.to_json()) == spec
    assert spec.num_leaves == 4


@pytest.mark.parametrize(
    "value, message",
    [
        ({"w": 1}, r"\[0\]: missing keys \['b'\]"),
        ({"w": 1, "b": 2, "extra": 3}, r"\[0\]: unexpected keys \['extra'\]"),
        ([1, 2], r"\[0\]: expected a dict, got a list"),
    ],
)
def test_dict_mismatches_name_the_path(value, message):
    spec = spec_of(({"w": 0, "b": 0}, 0))
    with pytest.raises(InvalidArgument, match=message):
        flatten(spec, (value, 1))


def test_sequence_length_and_leaf_mismatches():
    spec = spec_of(((0, 0), 0))
    with pytest.raises(InvalidArgument, match=r"\[0\]: expected 2 items, got 3"):
        flatten(spec, ((1, 2, 3), 4))
    with pytest.raises(InvalidArgument, match=r"\[1\]: expected an array, got a dict"):
        flatten(spec, ((1, 2), {"a": 4}))
    # A list where an array belongs is array data.
    assert flatten(spec, ((1, 2), [4, 5])) == [1, 2, [4, 5]]
    with pytest.raises(InvalidArgument, match=r"\[1\]: expected an array, got None"):
        flatten(spec, ((1, 2), None))


def test_unsupported_containers_are_named():
    class Box:
        pass

    with pytest.raises(TypeError, match="unsupported container type Box"):
        spec_of((Box(),), is_leaf=lambda v: isinstance(v, np.ndarray))


@pytest.mark.parametrize("bad", [[], ["leaf", 1], ["dict", ["a"], []], ["set", []], "leaf"])
def test_malformed_json_is_rejected(bad):
    with pytest.raises(ValueError):
        TreeSpec.from_json(bad)
