"""One entry point of a loaded model, and the engine its calls run on.

Inputs are always copied into buffers the model owns, and results are arrays
the caller owns (large ones are IREE's own result buffers, handed over
without a copy; see runtime/tensor.py): a model can never write into a
caller's memory, and a caller can never observe memory the model still
uses. With `keep_on_device=True`, results stay on the device as DeviceTensors
(runtime/tensor.py), which later calls take as inputs without a host round
trip; a DeviceTensor input is copied on the device first, so it too stays
unchanged.

Concurrency. A model may be called from any number of threads. Only the
invocation itself holds one of the model's IREE VM contexts (checking and
copying inputs, and copying results out, do not). On local-task and the GPU
drivers a model has one context, and calls take turns on it; on local-sync
one per core, so that calls run side by side (runtime/contexts.py says why).

Deadlines. An IREE invocation cannot be interrupted. A call with a deadline
runs its invocation in a worker thread and waits for it at most until the
deadline; then it raises Timeout and returns nothing. The abandoned
invocation keeps running until it finishes or its loops run out of fuel (the
fuel, not the deadline, bounds the device time), holding its context: where
the model has one, later calls on it wait for the abandoned one, and their own
deadlines count that wait. Its results are dropped; nothing it computed ever
reaches a caller. A model loaded with `process=True`, or with a default
deadline, runs its calls in a child process instead, which is killed when a
deadline passes, so that the work stops (runtime/call_process.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import math
import threading
from typing import Any

import iree.runtime as ireert
import numpy as np
from iree.runtime import _binding

from . import devices
from .artifact import vm_instance
from .contexts import ContextPool, pool_size
from .deadline import Deadline, check_deadline, run_within
from .errors import (
    BudgetExceeded,
    ExecutionError,
    InvalidArgument,
    InvalidArgumentType,
    NotFound,
    Timeout,
    TooLarge,
)
from .limits import MAX_FUEL, DeviceLimits, check_fuel, device_limits
from .parameters import BoundWeights, Weights
from .signature import FunctionSignature, TensorSpec, describe_value
from .tensor import DeviceTensor, check_results_fit, copy_on_device, results_to_host, to_host, upload
from .tree import flatten, unflatten
from .weights import host_array

# The work budget is one more int64 scalar input (see webtensor-sandbox-fuel).
_FUEL_SPEC = TensorSpec("fuel", (), "int64")
_INT64 = np.dtype(np.int64)

# Threads that run a model's call_async calls. Calls on one model take turns
# on its lock; a second thread copies one call's results out while the next
# one runs.
_ASYNC_WORKERS = 2


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


class Engine:
    """What a model's entry points use to make a call, and all they see of
    the model: its device (name, IREE's handle, limits), the defaults of a
    call (fuel, deadline), the VM contexts calls invoke in, the threads of
    call_async, and the runner of its child processes when calls run in
    them. The model makes it at load and alone changes it (`open` with new
    weights; the defaults through `model.fuel` and `model.deadline`);
    EntryPoint, ProcessEntryPoint and the wasi-nn layer (runtime/graph.py)
    reach the model through it and its public attributes only."""

    def __init__(self, module: ireert.VmModule, device: str, fuel: int, deadline: float | None, weights: Weights):
        self.module = module
        self.device = device
        self.hal_device = devices.get_hal_device(device)
        self.limits: DeviceLimits = device_limits(device)
        self.fuel = fuel
        self.deadline = deadline
        # The runner of the model's child processes when its calls run in them
        # (runtime/call_process.py), else None.
        self.runner = None
        self._weights = weights  # only to say, when none are bound, what to bind
        self._contexts: ContextPool | None = None
        self._threads: concurrent.futures.ThreadPoolExecutor | None = None
        self._threads_lock = threading.Lock()

    def open(self, bound: BoundWeights | None) -> None:
        """Makes the VM contexts later calls invoke in, with `bound` as the
        model's weights (packed once, so a model with weights keeps one
        context); calls already running keep the contexts they hold."""
        size = 1 if bound is not None else pool_size(devices.driver_name(self.device))
        self._contexts = ContextPool(lambda: self._make_context(bound), size)

    @property
    def contexts(self) -> ContextPool:
        contexts = self._contexts
        if contexts is None:
            raise NotFound(
                f"this model reads {len(self._weights)} weights ({self._weights.nbytes:,} bytes) and none are bound; "
                "bind them with model.load_weights(path or arrays), load(..., weights=FILE) or webtensor-run --weights=FILE"
            )
        return contexts

    def clock(self, deadline: float | None) -> Deadline | None:
        """A call's deadline, started now: its own, or the model's."""
        return Deadline.start(self.deadline if deadline is None else check_deadline(deadline))

    def budget(self, fuel: int | None) -> int:
        """A call's work budget: its own, or the model's."""
        return self.fuel if fuel is None else check_fuel(fuel)

    def threads(self) -> concurrent.futures.ThreadPoolExecutor:
        """The threads that run call_async calls, started on first use."""
        with self._threads_lock:
            if self._threads is None:
                self._threads = concurrent.futures.ThreadPoolExecutor(_ASYNC_WORKERS, thread_name_prefix="webtensor")
            return self._threads

    def to_device(self, array: np.ndarray, hal: ireert.HalElementType) -> DeviceTensor:
        """A copy of a C-contiguous array in the device's memory."""
        view = upload(self.hal_device, array, hal)
        return DeviceTensor(view, array.dtype, self.device, self.hal_device)

    def _make_context(self, bound: BoundWeights | None) -> ireert.VmContext:
        instance = vm_instance()
        modules = [ireert.create_hal_module(instance, self.hal_device)]
        if bound is not None:
            modules.append(bound.parameters_module(instance))
        try:
            return ireert.VmContext(instance, modules + [self.module])
        except (RuntimeError, ValueError, IndexError) as e:
            raise ExecutionError(f"could not load the artifact on {self.device}: {_first_line(e)}") from None


@dataclasses.dataclass(frozen=True)
class _Slot:
    """An input as the call path needs it, worked out once per entry point."""

    spec: TensorSpec
    dtype: np.dtype
    hal: ireert.HalElementType
    shape: tuple[int, ...] | None  # None when a dim is dynamic

    @staticmethod
    def of(spec: TensorSpec) -> "_Slot":
        static = None if None in spec.shape else tuple(spec.shape)
        return _Slot(spec, spec.element_type.dtype, spec.element_type.hal, static)


class EntryPoint:
    """One exported function of a loaded model."""

    def __init__(self, engine: Engine, signature: FunctionSignature):
        self._engine = engine
        self.signature = signature
        self._function = engine.module.lookup_function(signature.name)
        self._slots = tuple(_Slot.of(spec) for spec in signature.inputs)
        # The inputs the program reads, in order; the unused ones are checked only.
        self._passed = tuple(i for i in range(len(self._slots)) if i not in signature.unused)
        self._hal_types = tuple(self._slots[i].hal for i in self._passed) + (_FUEL_SPEC.element_type.hal,)
        self._output_dtypes = tuple(spec.element_type.dtype for spec in signature.outputs)
        self._dims_constrained = bool(signature.equal_dims or signature.fixed_dims)
        self._flat_arrays = all(child.kind == "leaf" for child in signature.input_tree.children)
        self._result_count = len(signature.outputs) + signature.fuel

    def __call__(self, *args, fuel: int | None = None, deadline: float | None = None, keep_on_device: bool = False) -> Any:
        """Calls with arguments shaped like the example arguments.

        `fuel` overrides the model's work budget for this call,
        `deadline` its wall-clock deadline in seconds (math.inf: none).
        `keep_on_device=True` returns DeviceTensors instead of numpy arrays."""
        clock = self._engine.clock(deadline)
        arg_list, budget = self._prepare(self._leaves(args), fuel)
        return unflatten(self.signature.output_tree, self._run(arg_list, budget, clock, keep_on_device))

    def call_flat(
        self, leaves: list[Any], fuel: int | None = None, deadline: float | None = None, keep_on_device: bool = False
    ) -> list[Any]:
        """Calls with the arrays in signature order, ignoring any nesting."""
        clock = self._engine.clock(deadline)
        if len(leaves) != len(self._slots):
            raise InvalidArgumentType(
                f"{self.signature.name} takes {_count(len(self._slots), 'array')} "
                f"({', '.join(t.name for t in self.signature.inputs)}), got {len(leaves)}"
            )
        arg_list, budget = self._prepare(list(leaves), fuel)
        return self._run(arg_list, budget, clock, keep_on_device)

    def call_async(
        self, *args, fuel: int | None = None, deadline: float | None = None, keep_on_device: bool = False
    ) -> concurrent.futures.Future:
        """Starts a call on the model's worker threads and returns its Future.

        The inputs are checked and copied to the device before this returns:
        bad inputs raise here, and changing an array afterwards does not
        change the call. The deadline counts from now. Failures of the call
        itself (Timeout, BudgetExceeded, ExecutionError) come out of the
        Future."""
        clock = self._engine.clock(deadline)
        arg_list, budget = self._prepare(self._leaves(args), fuel)
        tree = self.signature.output_tree
        return self._engine.threads().submit(
            lambda: unflatten(tree, self._run(arg_list, budget, clock, keep_on_device))
        )

    async def acall(self, *args, **options) -> Any:
        """`await entry.acall(...)`: a call that does not block the event loop."""
        return await asyncio.wrap_future(self.call_async(*args, **options))

    def snapshot(self, index: int, value: Any) -> np.ndarray | DeviceTensor:
        """Input `index` (in signature order) checked against the signature
        and copied where the call path takes it (for this entry point, the
        device), so that changing `value` later changes no call; call_flat
        takes it back. The wasi-nn layer's set_input."""
        slot = self._slots[index]
        staged = self._stage(value, slot)
        if type(staged) is DeviceTensor:
            return staged  # immutable, and copied on the device by each call
        return self._engine.to_device(staged, slot.hal)

    def _leaves(self, args: tuple) -> list[Any]:
        expected = len(self.signature.input_tree.children)
        if len(args) != expected:
            names = self.signature.arg_names or [t.name for t in self.signature.inputs]
            bound = self.signature.weights_tree
            hint = ""
            if bound is not None and len(args) == expected + len(bound.children):
                hint = "; its weights are bound (weights_argnums): call it without them"
            raise InvalidArgumentType(
                f"{self.signature.name} takes {_count(expected, 'argument')} ({', '.join(names)}), got {len(args)}{hint}"
            )
        if self._flat_arrays and all(type(arg) is np.ndarray for arg in args):
            return list(args)
        # Each argument by its name, so that a structure error says
        # `argument params: ...` as a shape error says `argument params['w']`.
        names = self.signature.arg_names
        if len(names) != expected:
            return flatten(self.signature.input_tree, args)
        leaves: list[Any] = []
        for child, arg, name in zip(self.signature.input_tree.children, args, names):
            leaves.extend(flatten(child, arg, f"argument {name}"))
        return leaves

    def _prepare(self, leaves: list[Any], fuel: int | None) -> tuple[ireert.VmVariantList, int]:
        """Checks the inputs and copies them into fresh device buffers: the
        argument list of one invocation, and the call's budget."""
        staged = [self._stage(leaf, slot) for leaf, slot in zip(leaves, self._slots)]
        if self._dims_constrained:
            self.signature.check_dims([value.shape for value in staged])
        self._check_results_fit(staged)
        if len(self._passed) != len(staged):
            staged = [staged[i] for i in self._passed]
        # A bad budget is an error even for a model without loops, which
        # has no use for it: the same call must not pass on one model and
        # fail on another.
        budget = self._engine.budget(fuel)
        if self.signature.fuel:
            # The loops get what the up-front charge leaves (_execute refuses
            # a call whose up-front charge the budget does not cover).
            staged.append(np.array(max(budget - self.signature.cost, 0), _INT64))
        device = self._engine.hal_device
        if any(type(value) is DeviceTensor for value in staged):
            views = self._copy_device_tensors(staged)
        else:
            views = [upload(device, value, hal) for value, hal in zip(staged, self._hal_types)]
        arg_list = ireert.VmVariantList(len(views))
        for view in views:
            arg_list.push_ref(view.ref)
        return arg_list, budget

    def _stage(self, value: Any, slot: _Slot) -> np.ndarray | DeviceTensor:
        if (
            type(value) is np.ndarray
            and value.dtype == slot.dtype
            and value.shape == slot.shape
            and value.flags.c_contiguous
        ):
            self._check_size(value.nbytes, slot.spec)
            return value
        if type(value) is DeviceTensor:
            return self._check_device_tensor(value, slot)
        return _as_input_array(value, slot.spec, self._check_size)

    def _check_size(self, nbytes: int, spec: TensorSpec) -> None:
        limit = self._engine.limits.max_tensor_bytes
        if nbytes > limit:
            raise TooLarge(
                f"argument {spec.name}: {nbytes} bytes is above the largest tensor "
                f"{self._engine.device} takes ({limit} bytes; see model.limits)"
            )

    def _check_results_fit(self, staged: list[Any]) -> None:
        """TooLarge, before anything runs, when the results cannot fit in the host."""
        check_results_fit(
            self.signature.outputs, [value.shape for value in staged], self._engine.limits.max_tensor_bytes, self.signature.name
        )

    def _check_device_tensor(self, tensor: DeviceTensor, slot: _Slot) -> DeviceTensor:
        engine = self._engine
        if tensor._hal_device is not engine.hal_device:
            raise InvalidArgument(
                f"argument {slot.spec.name}: this DeviceTensor is on {tensor.device}, but the model runs "
                f"on {engine.device}; pass tensor.numpy() to move it through the host"
            )
        if tensor.dtype != slot.dtype or tensor.shape != slot.shape:
            slot.spec.check(tensor.shape, describe_value(tensor)[1])
        return tensor

    def _copy_device_tensors(self, staged: list[np.ndarray | DeviceTensor]) -> list[ireert.HalBufferView]:
        """Fresh buffers for every input: uploads for arrays, device-side
        copies for DeviceTensors (so the call cannot write into them)."""
        device = self._engine.hal_device
        views: list[Any] = [
            None if type(value) is DeviceTensor else upload(device, value, hal)
            for value, hal in zip(staged, self._hal_types)
        ]
        on_device = [i for i, view in enumerate(views) if view is None]
        copies = copy_on_device(device, [staged[i] for i in on_device], [self._hal_types[i] for i in on_device])
        for i, view in zip(on_device, copies):
            views[i] = view
        return views

    def _run(self, arg_list: ireert.VmVariantList, budget: int, clock: Deadline | None, keep_on_device: bool) -> list[Any]:
        if clock is None:
            return self._execute(arg_list, budget, keep_on_device)
        return run_within(
            clock,
            lambda abandoned: self._execute(arg_list, budget, keep_on_device, abandoned),
            lambda: self._timeout(clock),
        )

    def _timeout(self, clock: Deadline) -> Timeout:
        # The abandoned call's thread holds IREE objects until it ends. If the
        # process exits first, nanobind's report of leaked objects at exit
        # would be a false alarm on stderr.
        _binding.disable_leak_checker()
        return Timeout(
            f"{self.signature.name} did not finish within its deadline of {clock.seconds:g} s on "
            f"{self._engine.device}; the model finishes the abandoned call (its fuel bounds it) "
            "before it takes the next one"
        )

    def _execute(
        self, arg_list: ireert.VmVariantList, budget: int, keep_on_device: bool, abandoned: threading.Event | None = None
    ) -> list[Any] | None:
        engine = self._engine
        if budget < self.signature.cost:
            raise BudgetExceeded(
                f"{self.signature.name} costs {self.signature.cost} work units before any loop runs, above "
                f"its budget of {budget}; nothing ran. Pass a larger fuel= if the model needs it "
                f"(at most {MAX_FUEL})"
            )
        device = engine.hal_device
        result_list = ireert.VmVariantList(self._result_count)
        contexts = engine.contexts
        context = contexts.take()
        try:
            if abandoned is not None and abandoned.is_set():
                return None  # the caller gave up while this call waited its turn
            context.invoke(self._function, arg_list, result_list)
        except (RuntimeError, ValueError) as e:
            if "RESOURCE_EXHAUSTED" in str(e):
                raise TooLarge(f"{self.signature.name} ran out of memory on {engine.device}: {e}") from None
            raise ExecutionError(f"{self.signature.name} failed on {engine.device}: {e}") from None
        finally:
            contexts.give(context)
        results = [result_list.get_as_object(i, ireert.HalBufferView) for i in range(self._result_count)]
        if self.signature.fuel and to_host(device, results.pop(), _INT64) < 0:
            raise BudgetExceeded(
                f"{self.signature.name} ran out of its budget of {budget} work units "
                "and returned nothing; pass a larger fuel= if the model needs it"
            )
        if keep_on_device:
            return [DeviceTensor(view, dtype, engine.device, device) for view, dtype in zip(results, self._output_dtypes)]
        return results_to_host(device, results, self._output_dtypes)

    def __repr__(self) -> str:
        return f"<webtensor entry point {self.signature}>"


def _as_input_array(value: Any, spec: TensorSpec, check_size) -> np.ndarray:
    """A C-contiguous numpy array for `value`, checked against `spec`."""
    if hasattr(value, "dtype"):
        value = host_array(value, f"argument {spec.name}")  # torch tensors, jax arrays
    else:
        # Python scalars and lists have no dtype of their own: take the signature's.
        try:
            value = np.asarray(value, dtype=spec.element_type.dtype)
        except (TypeError, ValueError) as e:
            raise InvalidArgument(f"argument {spec.name}: cannot convert to {spec.dtype}: {e}") from None
    shape, dtype_name = describe_value(value)
    spec.check(shape, dtype_name)
    check_size(math.prod(shape) * spec.element_type.dtype.itemsize, spec)
    # np.asarray, not np.ascontiguousarray: the latter makes scalars rank 1.
    return np.asarray(value, order="C")


def _count(number: int, noun: str) -> str:
    """`1 argument`, `2 arguments`."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
