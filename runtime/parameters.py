"""What a model's program reads as IREE parameters: the weights it declares,
a checked value bound to each, and the binding of tensors stored at byte
ranges of a file.

The sources those values come from (arrays, safetensors, .irpa, packages)
are runtime/weights.py's; a package (runtime/package.py) binds its own
weights through `bind_file_tensors` here. Both import this module, and it
imports neither.
"""

from __future__ import annotations

import dataclasses
import math
import mmap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:  # imported where used: the compiler reads this module without the runtime's IREE
    import iree.runtime as ireert

from .errors import InvalidArgument, InvalidEncoding
from .signature import TensorSpec
from .tree import TreeSpec

# The parameter scope every compiled weight lives in: `"model"::NAME`.
SCOPE = "model"


@dataclasses.dataclass(frozen=True)
class Weights(Mapping):
    """The weights a model reads, by name: `model.weights["params['w1']"]`.

    A read-only mapping of name to TensorSpec, in the order the model lists
    them. `tree` is the structure of the weight arguments the model was
    compiled from (a tuple of one pytree per weight argument), so that the
    same pytree can be bound again; `nbytes` is their size together.
    """

    specs: tuple[TensorSpec, ...] = ()
    tree: TreeSpec | None = None

    def __getitem__(self, name: str) -> TensorSpec:
        for spec in self.specs:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (spec.name for spec in self.specs)

    def __len__(self) -> int:
        return len(self.specs)

    @property
    def nbytes(self) -> int:
        return sum(tensor_nbytes(spec) for spec in self.specs)

    def __str__(self) -> str:
        lines = tensor_table(self.specs)
        lines.append(f"{len(self.specs)} weights, {self.nbytes:,} bytes")
        return "\n".join(lines)


def tensor_table(specs, indent: str = "") -> list[str]:
    """One line per tensor: name, type, bytes."""
    width = max((len(spec.name) for spec in specs), default=4)
    return [f"{indent}{spec.name:<{width}}  {spec.type_string():<24} {tensor_nbytes(spec):>14,}" for spec in specs]


def tensor_nbytes(spec: TensorSpec) -> int:
    return math.prod(spec.shape) * spec.element_type.dtype.itemsize


@dataclasses.dataclass
class BoundWeights:
    """A value for every weight of a model, checked, as an IREE parameter index.

    `keep` holds what the index points into (arrays, file mappings) for as
    long as the model lives; `source` says where the values came from."""

    index: ireert.ParameterIndex
    source: str
    keep: list[Any]

    def parameters_module(self, instance: ireert.VmInstance) -> ireert.VmModule:
        import iree.runtime as ireert

        return ireert.create_io_parameters_module(instance, self.index.create_provider(scope=SCOPE))

    def release_pages(self) -> None:
        """Drops the mapped files' pages from this process once the model has
        loaded: IREE packed what it repacks into its own memory, and a weight
        it reads in place faults back from the page cache when a call reads
        it. (A read-only shared mapping of a file: nothing is lost.)"""
        for kept in self.keep:
            if isinstance(kept, mmap.mmap) and hasattr(kept, "madvise"):
                kept.madvise(mmap.MADV_DONTNEED)


def check_names(weights: Weights, names, where: str) -> None:
    """InvalidArgument unless `names` are exactly the weights' names."""
    missing = [name for name in weights if name not in names]
    extra = sorted(name for name in names if name not in weights)
    if not missing and not extra:
        return
    parts = []
    if missing:
        parts.append(f"missing {_names(missing)}")
    if extra:
        parts.append(f"not weights of this model: {_names(extra)}")
    raise InvalidArgument(f"weights: {where} do not match the model: {'; '.join(parts)}")


def _names(names: list[str], most: int = 5) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def check_type(spec: TensorSpec, shape: tuple[int, ...], dtype_name: str, where: str) -> None:
    """InvalidArgument unless `shape` and `dtype_name` are the weight's."""
    if tuple(shape) != tuple(spec.shape) or dtype_name != spec.dtype:
        got = f"{dtype_name}[{','.join(map(str, shape))}]"
        raise InvalidArgument(f"weight {spec.name}: the model needs {spec.type_string()}, {where} {got}")


@dataclasses.dataclass(frozen=True)
class FileTensor:
    """One tensor stored in a file: its type and its byte range."""

    spec: TensorSpec
    offset: int
    length: int


def map_file(path: str) -> tuple[mmap.mmap, ireert.FileHandle]:
    """A read-only mapping of the whole file, and IREE's handle on it."""
    import iree.runtime as ireert

    try:
        with open(path, "rb") as f:
            mapping = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except ValueError:
        raise InvalidEncoding(f"{path}: the file is empty") from None
    return mapping, ireert.FileHandle.wrap_memory(mapping, readable=True, writable=False)


def bind_file_tensors(weights: Weights, path: str, tensors: dict[str, FileTensor], kind: str) -> BoundWeights:
    """Binds tensors found at byte ranges of `path`, after checking them."""
    import iree.runtime as ireert

    check_names(weights, tensors.keys(), f"the tensors in {path}")
    for spec in weights.specs:
        tensor = tensors[spec.name]
        check_type(spec, tensor.spec.shape, tensor.spec.dtype, f"{path} holds")
    mapping, handle = map_file(path)
    index = ireert.ParameterIndex()
    for spec in weights.specs:
        tensor = tensors[spec.name]
        index.add_from_file_handle(spec.name, handle, tensor.length, tensor.offset)
    return BoundWeights(index, f"{kind} {path}", [mapping, handle])
