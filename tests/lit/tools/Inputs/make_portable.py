# Regenerates portable.mlirbc: `python make_portable.py` (needs jax).
import jax
import jax.numpy as jnp
from jax import export


def scaled_sin(x):
    return jnp.sin(x) * 2


exported = export.export(jax.jit(scaled_sin))(jax.ShapeDtypeStruct((4,), jnp.float32))
with open("portable.mlirbc", "wb") as f:
    f.write(exported.mlir_module_serialized)
