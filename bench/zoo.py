"""Benchmark models: JAX definitions with random weights from fixed seeds.

Each model builds `(fn, params, inputs)`: `fn(params, *inputs)` is the model,
`params` a dict of weights. The benchmark binds the weights
(`weights_argnums=0`, as a served model holds them), passes them per call,
and bakes them in as constants; see bench/suite.py.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import jax
import jax.numpy as jnp
import numpy as np

from .models import (
    _batch_norm,
    _layer_norm,
    _normal,
    batch_norm_params,
    encoder_block,
    encoder_params,
    mlp,
    mlp_params,
)


@dataclasses.dataclass(frozen=True)
class ZooModel:
    name: str
    build: Callable[[], tuple[Callable, Any, tuple]]
    description: str
    # "synthetic": ours, timed in every variant (bench/suite.py's measure);
    # "real": a third-party architecture (bench/real_zoo.py), timed bound
    # against jax.jit only, one model per process (measure_real).
    kind: str = "synthetic"


# --- CNN: three convolutions, pooling, batch norm ----------------------------

def _conv(x, w, b):
    y = jax.lax.conv_general_dilated(
        x, w, window_strides=(1, 1), padding="SAME", dimension_numbers=("NHWC", "HWIO", "NHWC")
    )
    return y + b


def _max_pool(x):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")


def cnn3(params, x):
    h = x
    for i in (1, 2, 3):
        h = _conv(h, params[f"c{i}"], params[f"c{i}b"])
        h = _max_pool(jax.nn.relu(_batch_norm(h, *params[f"bn{i}"])))
    h = h.mean(axis=(1, 2))
    return h @ params["fc"]


def cnn3_params(rng, channels=(3, 16, 32, 64), classes=10):
    params = {}
    for i, (c_in, c_out) in enumerate(zip(channels[:-1], channels[1:]), start=1):
        params[f"c{i}"] = _normal(rng, (3, 3, c_in, c_out), 1 / np.sqrt(9 * c_in))
        params[f"c{i}b"] = _normal(rng, (c_out,), 0.1)
        params[f"bn{i}"] = batch_norm_params(rng, c_out)
    params["fc"] = _normal(rng, (channels[-1], classes), 1 / np.sqrt(channels[-1]))
    return params


# --- A 4-layer GPT over 128 tokens --------------------------------------------

def _causal_block(p, x, heads):
    seq, d = x.shape
    h = _layer_norm(x, p["ln1_s"], p["ln1_b"])
    q, k, v = jnp.split(h @ p["qkv"], 3, axis=-1)
    q, k, v = (t.reshape(seq, heads, d // heads).transpose(1, 0, 2) for t in (q, k, v))
    logits = q @ k.transpose(0, 2, 1) / np.float32(np.sqrt(d // heads))
    mask = jnp.tril(jnp.ones((seq, seq), bool))
    logits = jnp.where(mask, logits, np.float32(-1e9))
    attention = (jax.nn.softmax(logits, axis=-1) @ v).transpose(1, 0, 2).reshape(seq, d)
    x = x + attention @ p["proj"]
    h = _layer_norm(x, p["ln2_s"], p["ln2_b"])
    return x + jax.nn.gelu(h @ p["mlp1"] + p["mlp1_b"]) @ p["mlp2"] + p["mlp2_b"]


def gpt(params, tokens, heads=4):
    x = jnp.take(params["wte"], tokens, axis=0) + params["wpe"]
    for block in params["blocks"]:
        x = _causal_block(block, x, heads)
    x = _layer_norm(x, params["lnf_s"], params["lnf_b"])
    return x @ params["wte"].T


def gpt_params(rng, vocab=2048, seq=128, d=256, layers=4):
    return {
        "wte": _normal(rng, (vocab, d), 0.02),
        "wpe": _normal(rng, (seq, d), 0.02),
        "blocks": [encoder_params(rng, d=d, mlp=4 * d) for _ in range(layers)],
        "lnf_s": np.ones(d, np.float32),
        "lnf_b": np.zeros(d, np.float32),
    }


# --- Embedding gather and scatter-add -----------------------------------------

def embedding_update(table, indices):
    """An embedding lookup and a scatter-add into the table (a training step's
    shape of indexing): raw gather and scatter, which the sandbox guards."""
    table = jnp.asarray(table)  # closed over, it is a numpy array
    rows = table.at[indices].get(mode="promise_in_bounds")
    updated = table.at[indices].add(rows * 0.5, mode="promise_in_bounds")
    return rows, updated


def _embedding(rows=32768, width=512, lookups=4096, seed=0):
    rng = np.random.default_rng(seed)
    table = rng.standard_normal((rows, width)).astype(np.float32)
    indices = rng.integers(0, rows, lookups).astype(np.int32)
    return embedding_update, table, (indices,)


def _build(fn, make_params, *input_shapes, seed=0):
    def build():
        rng = np.random.default_rng(seed)
        params = make_params(rng)
        return fn, params, tuple(_normal(rng, shape) for shape in input_shapes)

    return build


def _gpt():
    rng = np.random.default_rng(0)
    params = gpt_params(rng)
    return gpt, params, (rng.integers(0, 2048, 128).astype(np.int32),)


MODELS = [
    ZooModel("mlp_b1", _build(mlp, lambda r: mlp_params(r, (784, 1024, 1024, 10)), (1, 784)), "MLP 784-1024-1024-10, batch 1"),
    ZooModel("mlp_b64", _build(mlp, lambda r: mlp_params(r, (784, 1024, 1024, 10)), (64, 784)), "MLP 784-1024-1024-10, batch 64"),
    ZooModel("cnn_b1", _build(cnn3, cnn3_params, (1, 64, 64, 3)), "3 conv + pool + batch norm, 1x64x64x3 (NHWC)"),
    ZooModel("cnn_b16", _build(cnn3, cnn3_params, (16, 64, 64, 3)), "3 conv + pool + batch norm, 16x64x64x3 (NHWC)"),
    ZooModel("encoder_b1", _build(encoder_block, lambda r: encoder_params(r, 256, 1024), (1, 128, 256)), "transformer block, seq 128, d 256, 4 heads, MLP 1024, batch 1"),
    ZooModel("encoder_b8", _build(encoder_block, lambda r: encoder_params(r, 256, 1024), (8, 128, 256)), "transformer block, seq 128, d 256, 4 heads, MLP 1024, batch 8"),
    ZooModel("gpt4", _gpt, "4-layer causal GPT, d 256, vocab 2048, 128 tokens"),
    ZooModel("embedding", _embedding, "gather 4096 rows of a 32k x 512 table, scatter-add them back"),
]

def _differential(name: str):
    from .models import MODELS as TEST_MODELS

    test_model = TEST_MODELS[name]

    def build():
        params, *inputs = test_model.example_args(0)
        return test_model.fn, params, tuple(inputs)

    return build


# The differential-test models (bench/models.py), small: the yardstick for
# the sandbox's cost.
DIFFERENTIAL = [
    ZooModel(f"test_{name}", _differential(name), f"bench/models.py {name}")
    for name in ("mlp", "cnn", "encoder_block", "control_flow")
]

SUITES = {"zoo": MODELS, "differential": DIFFERENTIAL, "all": MODELS + DIFFERENTIAL}
BY_NAME = {model.name: model for model in MODELS + DIFFERENTIAL}
EMBEDDING = BY_NAME["embedding"]
