"""A small MLP in JAX, compiled and run with WebTensor.

    python examples/mlp.py                       # compile, run, compare with jax.jit
    webtensor-compile examples/mlp.py:predict -o mlp.vmfb   # the same from the CLI

The weights are an argument (a dict of arrays), so they stay weights: the
compiled model takes them at call time instead of baking them into the code.
"""

import numpy as np


def predict(params, x):
    import jax

    h = jax.nn.relu(x @ params["w1"] + params["b1"])
    return jax.nn.softmax(h @ params["w2"] + params["b2"])


def init_params(seed=0, sizes=(784, 256, 10)):
    rng = np.random.default_rng(seed)
    return {
        "w1": (rng.standard_normal(sizes[:2]) / np.sqrt(sizes[0])).astype(np.float32),
        "b1": np.zeros(sizes[1], np.float32),
        "w2": (rng.standard_normal(sizes[1:]) / np.sqrt(sizes[1])).astype(np.float32),
        "b2": np.zeros(sizes[2], np.float32),
    }


def example_args():
    """Used by `webtensor-compile examples/mlp.py:predict`."""
    return init_params(), np.zeros((4, 784), np.float32)


def main():
    import time

    import jax

    import webtensor

    params, x = example_args()
    x = np.random.default_rng(1).standard_normal(x.shape).astype(np.float32)

    start = time.perf_counter()
    model = webtensor.compile(predict, params, x)
    print(f"compiled in {time.perf_counter() - start:.2f} s: {model.signature}")

    got = model(params, x)
    want = np.asarray(jax.jit(predict)(params, x))
    print(f"predicted classes: {got.argmax(axis=1).tolist()}")
    print(f"max |webtensor - jax.jit| = {np.abs(got - want).max():.3g}")

    model.save("mlp.vmfb")
    reloaded = webtensor.load("mlp.vmfb")
    assert np.array_equal(reloaded(params, x), got)
    print("saved mlp.vmfb; run it again with webtensor.load('mlp.vmfb')")


if __name__ == "__main__":
    main()
