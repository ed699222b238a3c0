"""A small MLP in JAX, compiled and run with WebTensor.

    python examples/mlp.py                       # compile, run, compare with jax.jit
    webtensor-compile examples/mlp.py:predict --weights-argnums=0 -o mlp.vmfb   # the same from the CLI
    webtensor-compile --portable examples/mlp.py:predict --weights-argnums=0 -o mlp.wtpkg   # a package to ship

The weights are an argument (a dict of arrays) marked with
weights_argnums=0: the compiled model reads them as bound parameters,
packed once at load, and is called with the input alone.
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
    model = webtensor.compile(predict, params, x, weights_argnums=0)
    print(f"compiled in {time.perf_counter() - start:.2f} s: {model.signature}, {len(model.weights)} weights bound")

    got = model(x)
    want = np.asarray(jax.jit(predict)(params, x))
    print(f"predicted classes: {got.argmax(axis=1).tolist()}")
    print(f"max |webtensor - jax.jit| = {np.abs(got - want).max():.3g}")

    # What an author ships: the portable program and its weights, one file.
    webtensor.export(predict, params, x, weights_argnums=0).save("mlp.wtpkg")
    shipped = webtensor.load("mlp.wtpkg")  # checked, compiled here (cached), weights mapped
    assert np.array_equal(shipped(x), got)
    print("wrote mlp.wtpkg; load it anywhere with webtensor.load('mlp.wtpkg')")


if __name__ == "__main__":
    main()
