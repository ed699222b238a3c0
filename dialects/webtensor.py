"""WebTensor's own attributes: what the passes write on functions and
arguments for the compiler (compiler/signature.py) to read into the
artifact's signature, and then remove. One owner for each name."""

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
