"""Small JAX models that the differential tests check and the benchmarks time:
each is a function, parameters made from a fixed seed, and a way to draw
fresh inputs. They ship with the package (the benchmarks need them); the
tests do not.

Parameters are always arguments (a dict of arrays), never closed over, so the
compiled module takes weights the way a served model would.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np


@dataclasses.dataclass(frozen=True)
class TestModel:
    name: str
    fn: Callable
    make_params: Callable[[np.random.Generator], Any]
    make_inputs: Callable[[np.random.Generator], tuple]
    rtol: float = 1e-5
    atol: float = 1e-5

    def example_args(self, seed: int = 0) -> tuple:
        rng = np.random.default_rng(seed)
        return (self.make_params(rng), *self.make_inputs(rng))


def _normal(rng, shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# --- MLP ---------------------------------------------------------------------

def mlp(params, x):
    h = jax.nn.relu(x @ params["w1"] + params["b1"])
    h = jax.nn.relu(h @ params["w2"] + params["b2"])
    return h @ params["w3"] + params["b3"]


def mlp_params(rng, sizes=(64, 128, 128, 10)):
    params = {}
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
        params[f"w{i}"] = _normal(rng, (n_in, n_out), 1 / np.sqrt(n_in))
        params[f"b{i}"] = _normal(rng, (n_out,), 0.1)
    return params


# --- CNN: conv, pooling, batch norm ------------------------------------------

def _conv(x, w, b):
    y = jax.lax.conv_general_dilated(
        x, w, window_strides=(1, 1), padding="SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return y + b


def _batch_norm(x, scale, offset, mean, var, eps=1e-5):
    return (x - mean) * jax.lax.rsqrt(var + eps) * scale + offset


def _max_pool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def _avg_pool(x):
    return jax.lax.reduce_window(x, 0.0, jax.lax.add, (1, 2, 2, 1), (1, 2, 2, 1), "VALID") / 4.0


def cnn(params, x):
    h = jax.nn.relu(_batch_norm(_conv(x, params["c1"], params["c1b"]), *params["bn1"]))
    h = _max_pool(h)
    h = jax.nn.relu(_batch_norm(_conv(h, params["c2"], params["c2b"]), *params["bn2"]))
    h = _avg_pool(h)
    h = h.reshape(h.shape[0], -1)
    return h @ params["fc"]


def batch_norm_params(rng, channels):
    """Scale, offset, mean and variance of an inference-time batch norm."""
    return (
        (1 + 0.1 * rng.standard_normal(channels)).astype(np.float32),
        _normal(rng, (channels,), 0.1),
        _normal(rng, (channels,), 0.1),
        rng.uniform(0.5, 1.5, channels).astype(np.float32),
    )


def cnn_params(rng, channels=(3, 8, 16), image=16, classes=10):
    params = {}
    for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:]), start=1):
        params[f"c{i}"] = _normal(rng, (3, 3, c_in, c_out), 1 / np.sqrt(9 * c_in))
        params[f"c{i}b"] = _normal(rng, (c_out,), 0.1)
        params[f"bn{i}"] = batch_norm_params(rng, c_out)
    flat = (image // 4) ** 2 * channels[-1]
    params["fc"] = _normal(rng, (flat, classes), 1 / np.sqrt(flat))
    return params


# --- Transformer encoder block -------------------------------------------------

def _layer_norm(x, scale, bias, eps=1e-6):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + eps) * scale + bias


def encoder_block(params, x, heads=4):
    batch, seq, d = x.shape
    h = _layer_norm(x, params["ln1_s"], params["ln1_b"])
    qkv = h @ params["qkv"]
    q, k, v = jnp.split(qkv, 3, axis=-1)

    def split_heads(t):
        return t.reshape(batch, seq, heads, d // heads).transpose(0, 2, 1, 3)

    q, k, v = map(split_heads, (q, k, v))
    logits = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d // heads).astype(np.float32)
    attention = jax.nn.softmax(logits, axis=-1) @ v
    attention = attention.transpose(0, 2, 1, 3).reshape(batch, seq, d)
    x = x + attention @ params["proj"]
    h = _layer_norm(x, params["ln2_s"], params["ln2_b"])
    h = jax.nn.gelu(h @ params["mlp1"] + params["mlp1_b"])
    return x + h @ params["mlp2"] + params["mlp2_b"]


def encoder_params(rng, d=64, mlp=128):
    return {
        "ln1_s": (1 + 0.1 * rng.standard_normal(d)).astype(np.float32),
        "ln1_b": _normal(rng, (d,), 0.1),
        "qkv": _normal(rng, (d, 3 * d), 1 / np.sqrt(d)),
        "proj": _normal(rng, (d, d), 1 / np.sqrt(d)),
        "ln2_s": (1 + 0.1 * rng.standard_normal(d)).astype(np.float32),
        "ln2_b": _normal(rng, (d,), 0.1),
        "mlp1": _normal(rng, (d, mlp), 1 / np.sqrt(d)),
        "mlp1_b": _normal(rng, (mlp,), 0.1),
        "mlp2": _normal(rng, (mlp, d), 1 / np.sqrt(mlp)),
        "mlp2_b": _normal(rng, (d,), 0.1),
    }


# --- Control flow ------------------------------------------------------------

def control_flow(params, x, n):
    """fori_loop with a data-dependent trip count, cond, and scan."""

    def body(i, h):
        return jnp.tanh(h @ params["w"] + i.astype(jnp.float32) * 0.01)

    h = jax.lax.fori_loop(0, n, body, x)
    h = jax.lax.cond(h.sum() > 0, lambda t: t * 2.0, lambda t: t - 1.0, h)

    def step(carry, row):
        carry = carry * 0.5 + row
        return carry, carry.sum()

    final, sums = jax.lax.scan(step, jnp.zeros(x.shape[1], x.dtype), h)
    return final, sums


def control_flow_params(rng, d=16):
    return {"w": _normal(rng, (d, d), 1 / np.sqrt(d))}


MODELS = {
    "mlp": TestModel(
        "mlp", mlp, mlp_params, lambda rng: (_normal(rng, (8, 64)),)
    ),
    "cnn": TestModel(
        "cnn", cnn, cnn_params, lambda rng: (_normal(rng, (2, 16, 16, 3)),), rtol=1e-4, atol=1e-4
    ),
    "encoder_block": TestModel(
        "encoder_block", encoder_block, encoder_params, lambda rng: (_normal(rng, (2, 16, 64)),), rtol=1e-4, atol=1e-4
    ),
    "control_flow": TestModel(
        "control_flow",
        control_flow,
        control_flow_params,
        lambda rng: (_normal(rng, (6, 16)), np.int32(rng.integers(3, 9))),
    ),
}


# n iterations of squaring a vector: a loop whose trip count is data, for
# the deadline, child-process and budget tests and bench/deadline.py. It asks
# `n > i`, not `i < n`, so that the sandbox does not see a counted loop
# (charged up front, and faster per iteration): it pays for every iteration
# in the program, and runs as long as n says.
SQUARING_LOOP = """
func.func @main(%n: tensor<i64>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %c0 = stablehlo.constant dense<0> : tensor<i64>
  %c1 = stablehlo.constant dense<1> : tensor<i64>
  %r:2 = stablehlo.while(%i = %c0, %acc = %x) : tensor<i64>, tensor<4xf32>
    cond {
      %p = stablehlo.compare GT, %n, %i : (tensor<i64>, tensor<i64>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %j = stablehlo.add %i, %c1 : tensor<i64>
      %y = stablehlo.multiply %acc, %acc : tensor<4xf32>
      stablehlo.return %j, %y : tensor<i64>, tensor<4xf32>
    }
  return %r#1 : tensor<4xf32>
}
"""


def squared(x: np.ndarray, n: int) -> np.ndarray:
    """What SQUARING_LOOP computes: x squared n times."""
    out = x.copy()
    for _ in range(n):
        out = out * out
    return out


def budget_for(model, *iterations: int) -> int:
    """The budget (work units) that pays for a call running each of the
    model's in-program loops the given number of times."""
    signature = model.signature
    assert len(iterations) == len(signature.loop_costs)
    return signature.cost + sum(n * c for n, c in zip(iterations, signature.loop_costs))

