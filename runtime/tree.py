"""Nested argument structures (pytrees) without JAX.

A compiled JAX function takes and returns pytrees: tuples, lists, dicts and
None around arrays. The artifact records their shape as a `TreeSpec` so that
the runtime, which must not import JAX, can flatten a call's arguments into
the flat list IREE expects and rebuild the results. Leaves come in JAX's
order: sequences in order, dicts by sorted key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, Iterator

from .errors import InvalidArgument, InvalidArgumentType

@dataclasses.dataclass(frozen=True)
class TreeSpec:
    kind: str
    children: tuple["TreeSpec", ...] = ()
    keys: tuple[Any, ...] = ()  # dict keys, in flatten order

    @property
    def num_leaves(self) -> int:
        if self.kind == "leaf":
            return 1
        return sum(child.num_leaves for child in self.children)

    def to_json(self) -> list:
        if self.kind in ("leaf", "none"):
            return [self.kind]
        if self.kind == "dict":
            return ["dict", list(self.keys), [c.to_json() for c in self.children]]
        return [self.kind, [c.to_json() for c in self.children]]

    @staticmethod
    def from_json(data: Any) -> "TreeSpec":
        kind = data[0] if isinstance(data, list) and data else None
        expected_length = {"leaf": 1, "none": 1, "tuple": 2, "list": 2, "dict": 3}.get(kind)
        if expected_length is None or len(data) != expected_length:
            raise ValueError(f"malformed tree spec {data!r}")
        if kind in ("leaf", "none"):
            return TreeSpec(kind)
        if not all(isinstance(part, list) for part in data[1:]):
            raise ValueError(f"malformed tree spec {data!r}")
        if kind == "dict":
            keys, children = data[1], data[2]
            if len(keys) != len(children):
                raise ValueError("malformed tree spec: dict keys and children differ")
            return TreeSpec("dict", tuple(map(TreeSpec.from_json, children)), tuple(keys))
        return TreeSpec(kind, tuple(map(TreeSpec.from_json, data[1])))


LEAF = TreeSpec("leaf")


def tuple_of_leaves(count: int) -> TreeSpec:
    return TreeSpec("tuple", (LEAF,) * count)


def spec_of(value: Any, is_leaf=lambda v: True) -> TreeSpec:
    """The spec of a Python structure; anything that is not a container is a leaf."""
    if value is None:
        return TreeSpec("none")
    if isinstance(value, Mapping):
        keys = tuple(sorted(value))
        return TreeSpec("dict", tuple(spec_of(value[k], is_leaf) for k in keys), keys)
    if isinstance(value, (tuple, list)):
        kind = "list" if isinstance(value, list) else "tuple"
        return TreeSpec(kind, tuple(spec_of(v, is_leaf) for v in value))
    if not is_leaf(value):
        raise TypeError(
            f"unsupported container type {type(value).__name__}; "
            "use dicts, lists, tuples and None around arrays"
        )
    return LEAF


def flatten(spec: TreeSpec, value: Any, path: str = "") -> list[Any]:
    """The leaves of `value` in spec order; raises InvalidArgument on a mismatch."""
    leaves: list[Any] = []
    _flatten_into(spec, value, path, leaves)
    return leaves


def _flatten_into(spec: TreeSpec, value: Any, path: str, out: list[Any]) -> None:
    where = path or "the arguments"
    if spec.kind == "leaf":
        # A list where an array belongs is taken as array data ([[1, 2], [3, 4]]).
        if value is None or isinstance(value, Mapping):
            raise InvalidArgumentType(f"{where}: expected an array, got {_describe(value)}")
        out.append(value)
        return
    if spec.kind == "none":
        if value is not None:
            raise InvalidArgumentType(f"{where}: expected None, got {_describe(value)}")
        return
    if spec.kind == "dict":
        _flatten_dict(spec, value, path, out)
        return
    if not isinstance(value, (tuple, list)):
        raise InvalidArgumentType(
            f"{where}: expected a {spec.kind} of {len(spec.children)}, got {_describe(value)}"
        )
    if len(value) != len(spec.children):
        raise InvalidArgument(
            f"{where}: expected {len(spec.children)} items, got {len(value)}"
        )
    for i, (child, item) in enumerate(zip(spec.children, value)):
        _flatten_into(child, item, f"{path}[{i}]", out)


def _flatten_dict(spec: TreeSpec, value: Any, path: str, out: list[Any]) -> None:
    where = path or "the arguments"
    if not isinstance(value, Mapping):
        raise InvalidArgumentType(f"{where}: expected a dict, got {_describe(value)}")
    missing = [k for k in spec.keys if k not in value]
    extra = [k for k in value if k not in spec.keys]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing keys {missing}")
        if extra:
            parts.append(f"unexpected keys {extra}")
        raise InvalidArgument(f"{where}: {' and '.join(parts)}")
    for key, child in zip(spec.keys, spec.children):
        _flatten_into(child, value[key], f"{path}[{key!r}]", out)


def unflatten(spec: TreeSpec, leaves: list[Any]) -> Any:
    iterator = iter(leaves)
    result = _build(spec, iterator)
    if next(iterator, _END) is not _END:
        raise ValueError("more leaves than the tree spec holds")
    return result


_END = object()


def _build(spec: TreeSpec, leaves: Iterator[Any]) -> Any:
    if spec.kind == "leaf":
        return next(leaves)
    if spec.kind == "none":
        return None
    children = [_build(child, leaves) for child in spec.children]
    if spec.kind == "dict":
        return dict(zip(spec.keys, children))
    return children if spec.kind == "list" else tuple(children)


def _describe(value: Any) -> str:
    if value is None:
        return "None"
    shape = getattr(value, "shape", None)
    if shape is not None:
        return f"an array of shape {tuple(shape)}"
    return f"a {type(value).__name__}"
