"""The IR vocabulary passes and the compiler share: walking (walk.py), type
queries (types.py), typed readers of StableHLO attributes (attributes.py),
op builders (build.py), WebTensor's own attribute names (webtensor.py), the
profile, and the cost, liveness and loop analyses."""
