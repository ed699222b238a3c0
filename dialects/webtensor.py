"""WebTensor's own attributes: what the passes write on functions and
arguments for the compiler (compiler/reflection.py) to read into the
artifact's signature, and then remove. One owner for each name; and the
facts a pass and the compiler must agree on."""

# On a weight argument (webtensor-bind-weights): its name among the weights.
WEIGHT_ATTR = "webtensor.weight"
# On a function (webtensor-verify-dynamic-shapes): which dynamic dims must be
# equal, as JSON.
GROUPS_ATTR = "webtensor.dim_groups"
# On a function that takes a work budget (webtensor-sandbox-fuel).
FUEL_ATTR = "webtensor.fuel"
# On every function (webtensor-sandbox-fuel): its up-front price in work
# units, and the price of one iteration of each loop that pays in the program.
COST_ATTR = "webtensor.cost"
LOOP_COSTS_ATTR = "webtensor.loop_costs"

# Softmax rows at least this long get IREE's plain reductions, not its
# softmax op (webtensor-cpu-softmax) nor aggressive fusion (compiler/backend.py).
# On shorter ones IREE's softmax op was as fast or faster (BERT-base's and
# GPT-2's 128, ViT-B/16's 197: within 10%, either way).
LONG_ROW = 1024
