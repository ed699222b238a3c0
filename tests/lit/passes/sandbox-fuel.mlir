// RUN: webtensor-opt %s -p webtensor-sandbox-fuel --split-input-file | filecheck %s

// A loop: the function takes a budget and returns what is left, and carries
// its price: per iteration 580,080 units (the fixed 500,000, and 20,000 plus
// the element work of each op in the condition and the body:
// dialects/cost.py), and up front its reserve, one iteration: the loop
// carries the budget, runs an iteration while it is not negative, and
// spends the iteration's charge, so its last iteration may overdraw by that
// much.

// CHECK-LABEL: func.func @loop
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>, %[[FUEL:.*]]: tensor<i64>) -> (tensor<4xf32>, tensor<i64>)
// CHECK-SAME:    attributes {webtensor.cost = 580080 : i64, webtensor.fuel, webtensor.loop_costs = array<i64: 580080>}
// CHECK:         %[[W:.*]]:2 = stablehlo.while(%[[V:.*]] = %[[X]], %[[F:.*]] = %[[FUEL]])
// CHECK:         cond {
// CHECK:           %[[C:.*]] = stablehlo.reshape
// CHECK:           %[[ZERO:.*]] = stablehlo.constant dense<0> : tensor<i64>
// CHECK:           %[[OK:.*]] = stablehlo.compare  GE, %[[F]], %[[ZERO]],  SIGNED
// CHECK:           %[[AND:.*]] = stablehlo.and %[[C]], %[[OK]] : tensor<i1>
// CHECK:           stablehlo.return %[[AND]]
// CHECK:         } do {
// CHECK:           %[[CHARGE2:.*]] = stablehlo.constant dense<580080> : tensor<i64>
// CHECK:           %[[SPENT:.*]] = stablehlo.subtract %[[F]], %[[CHARGE2]] : tensor<i64>
// CHECK:           stablehlo.return %{{.*}}, %[[SPENT]] : tensor<4xf32>, tensor<i64>
// CHECK:         return %[[W]]#0, %[[W]]#1 : tensor<4xf32>, tensor<i64>
func.func @loop(%x: tensor<4xf32>) -> tensor<4xf32> {
  %limit = stablehlo.constant dense<1.0e6> : tensor<4xf32>
  %r = stablehlo.while(%v = %x) : tensor<4xf32>
    cond {
      %c = stablehlo.compare LT, %v, %limit : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
      %all = stablehlo.slice %c [0:1] : (tensor<4xi1>) -> tensor<1xi1>
      %s = stablehlo.reshape %all : (tensor<1xi1>) -> tensor<i1>
      stablehlo.return %s : tensor<i1>
    } do {
      %d = stablehlo.add %v, %v : tensor<4xf32>
      stablehlo.return %d : tensor<4xf32>
    }
  return %r : tensor<4xf32>
}

// -----

// Nested loops spend from the same budget: the inner loop takes the outer
// iteration's fuel and hands back what it left. (The inner loop steps by
// two, so it is neither counted nor bounded and checks the budget itself.)

// CHECK-LABEL: func.func @nested
// CHECK:         stablehlo.while(%{{.*}} = %{{.*}}, %[[OUTER:.*]] = %arg1)
// CHECK:         } do {
// CHECK:           %[[INNER:.*]]:2 = stablehlo.while(%{{.*}} = %{{.*}}, %{{.*}} = %[[OUTER]])
// CHECK:           stablehlo.subtract %[[INNER]]#1
func.func @nested(%n: tensor<i32>) -> tensor<i32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %r = stablehlo.while(%i = %zero) : tensor<i32>
    cond {
      %c = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %inner = stablehlo.while(%j = %zero) : tensor<i32>
        cond {
          %c = stablehlo.compare LT, %j, %i : (tensor<i32>, tensor<i32>) -> tensor<i1>
          stablehlo.return %c : tensor<i1>
        } do {
          %two = stablehlo.constant dense<2> : tensor<i32>
          %j1 = stablehlo.add %j, %two : tensor<i32>
          stablehlo.return %j1 : tensor<i32>
        }
      %i1 = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %i1 : tensor<i32>
    }
  return %r : tensor<i32>
}

// -----

// An if whose branch loops returns the fuel left by each branch.

// CHECK-LABEL: func.func @branch
// CHECK-SAME:    (%[[P:.*]]: tensor<i1>, %[[X:.*]]: tensor<f32>, %[[FUEL:.*]]: tensor<i64>)
// CHECK:         %[[IF:.*]]:2 = "stablehlo.if"(%[[P]])
// CHECK:           %[[W:.*]]:2 = stablehlo.while(%{{.*}} = %[[X]], %{{.*}} = %[[FUEL]])
// CHECK:           stablehlo.return %[[W]]#0, %[[W]]#1
// CHECK:         }, {
// CHECK:           stablehlo.return %[[X]], %[[FUEL]]
// CHECK:         return %[[IF]]#0, %[[IF]]#1
func.func @branch(%p: tensor<i1>, %x: tensor<f32>) -> tensor<f32> {
  %r = "stablehlo.if"(%p) ({
    %w = stablehlo.while(%v = %x) : tensor<f32>
      cond {
        stablehlo.return %p : tensor<i1>
      } do {
        stablehlo.return %v : tensor<f32>
      }
    stablehlo.return %w : tensor<f32>
  }, {
    stablehlo.return %x : tensor<f32>
  }) : (tensor<i1>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// Without loops nothing changes but the price: the dearer branch (a negate,
// 20,008 units) is charged up front.

// CHECK-LABEL: func.func @no_loop
// CHECK-SAME:    (%{{.*}}: tensor<i1>, %{{.*}}: tensor<f32>) -> tensor<f32>
// CHECK-SAME:    attributes {webtensor.cost = 20008 : i64, webtensor.loop_costs = array<i64>} {
// CHECK:         "stablehlo.if"
// CHECK:         }) : (tensor<i1>) -> tensor<f32>
func.func @no_loop(%p: tensor<i1>, %x: tensor<f32>) -> tensor<f32> {
  %r = "stablehlo.if"(%p) ({
    stablehlo.return %x : tensor<f32>
  }, {
    %n = stablehlo.negate %x : tensor<f32>
    stablehlo.return %n : tensor<f32>
  }) : (tensor<i1>) -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// A counted loop (JAX's scan: counter from a constant, `< N`, step one) with
// no loop inside, in the function's body, always runs all of it: it is part
// of the function's up-front price (10 x 560,048 units), which the runtime
// charges before the call, and is left as it was, so that IREE can still run
// it as a counted for loop. A function whose loops are all paid up front
// takes no budget at all.

// CHECK-LABEL: func.func @scan
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>) -> tensor<4xf32>
// CHECK-SAME:    attributes {webtensor.cost = 5600480 : i64, webtensor.loop_costs = array<i64>}
// CHECK:         %[[W:.*]]:2 = stablehlo.while(%[[I:.*]] = %{{.*}}, %{{.*}} = %[[X]]) : tensor<i32>, tensor<4xf32>
// CHECK-NEXT:    cond {
// CHECK-NEXT:      %[[C:.*]] = stablehlo.compare  LT, %[[I]]
// CHECK-NEXT:      stablehlo.return %[[C]] : tensor<i1>
// CHECK:         return %[[W]]#1 : tensor<4xf32>
func.func @scan(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %ten = stablehlo.constant dense<10> : tensor<i32>
  %r:2 = stablehlo.while(%i = %zero, %v = %x) : tensor<i32>, tensor<4xf32>
    cond {
      %c = stablehlo.compare LT, %i, %ten : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %i1 = stablehlo.add %i, %one : tensor<i32>
      %d = stablehlo.add %v, %v : tensor<4xf32>
      stablehlo.return %i1, %d : tensor<i32>, tensor<4xf32>
    }
  return %r#1 : tensor<4xf32>
}

// -----

// The same loop in a branch runs only if the branch is taken: the program
// charges it when it runs, its trip count times its iteration charge at
// once, and leaves it as it was. It runs even when the budget is short (so
// that it needs no check: these loops together may do UNGUARDED_UNITS of
// work), so its price is reserved up front too.

// CHECK-LABEL: func.func @scan_in_branch
// CHECK-SAME:    (%[[P:.*]]: tensor<i1>, %[[X:.*]]: tensor<4xf32>, %[[FUEL:.*]]: tensor<i64>)
// CHECK-SAME:    attributes {webtensor.cost = 5600480 : i64, webtensor.fuel, webtensor.loop_costs = array<i64: 560048>}
// CHECK:         "stablehlo.if"(%[[P]])
// CHECK:           %[[TRIP:.*]] = stablehlo.constant dense<5600480> : tensor<i64>
// CHECK:           %[[LEFT:.*]] = stablehlo.subtract %[[FUEL]], %[[TRIP]] : tensor<i64>
// CHECK:           %[[W:.*]]:2 = stablehlo.while
// CHECK-NEXT:      cond {
// CHECK-NEXT:        stablehlo.compare  LT
// CHECK-NEXT:        stablehlo.return
// CHECK:           stablehlo.return %[[W]]#1, %[[LEFT]]
func.func @scan_in_branch(%p: tensor<i1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %r = "stablehlo.if"(%p) ({
    %zero = stablehlo.constant dense<0> : tensor<i32>
    %one = stablehlo.constant dense<1> : tensor<i32>
    %ten = stablehlo.constant dense<10> : tensor<i32>
    %w:2 = stablehlo.while(%i = %zero, %v = %x) : tensor<i32>, tensor<4xf32>
      cond {
        %c = stablehlo.compare LT, %i, %ten : (tensor<i32>, tensor<i32>) -> tensor<i1>
        stablehlo.return %c : tensor<i1>
      } do {
        %i1 = stablehlo.add %i, %one : tensor<i32>
        %d = stablehlo.add %v, %v : tensor<4xf32>
        stablehlo.return %i1, %d : tensor<i32>, tensor<4xf32>
      }
    stablehlo.return %w#1 : tensor<4xf32>
  }, {
    stablehlo.return %x : tensor<4xf32>
  }) : (tensor<i1>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A counted loop with a loop inside runs only if the budget covers its own
// iterations (10^6 x 540,016), and carries the budget for the inner loop, which checks it.

// CHECK-LABEL: func.func @counted_outer
// CHECK-SAME:    (%[[N:.*]]: tensor<i32>, %[[FUEL:.*]]: tensor<i64>)
// CHECK:         %[[TRIP:.*]] = stablehlo.constant dense<540016000000> : tensor<i64>
// CHECK:         %[[COVERED:.*]] = stablehlo.compare  GE, %[[FUEL]], %[[TRIP]],  SIGNED
// CHECK:         %[[CHARGED:.*]] = stablehlo.subtract %[[FUEL]], %[[TRIP]]
// CHECK:         %[[OVERDRAWN:.*]] = stablehlo.constant dense<-1> : tensor<i64>
// CHECK:         %[[IF:.*]]:3 = "stablehlo.if"(%[[COVERED]]) ({
// CHECK:           %[[OUTER:.*]]:3 = stablehlo.while(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}, %[[F:.*]] = %[[CHARGED]])
// CHECK:           cond {
// CHECK-NEXT:        stablehlo.compare  LT
// CHECK-NEXT:        stablehlo.return
// CHECK:           } do {
// CHECK:             stablehlo.while(%{{.*}} = %{{.*}}, %{{.*}} = %[[F]])
// CHECK:           stablehlo.return %[[OUTER]]#0, %[[OUTER]]#1, %[[OUTER]]#2
// CHECK:         }, {
// CHECK:           stablehlo.return %{{.*}}, %{{.*}}, %[[OVERDRAWN]]
// CHECK:         return %[[IF]]#1, %[[IF]]#2
func.func @counted_outer(%n: tensor<i32>) -> tensor<i32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %million = stablehlo.constant dense<1000000> : tensor<i32>
  %r:2 = stablehlo.while(%i = %zero, %acc = %zero) : tensor<i32>, tensor<i32>
    cond {
      %c = stablehlo.compare LT, %i, %million : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %inner = stablehlo.while(%j = %acc) : tensor<i32>
        cond {
          %c = stablehlo.compare LT, %j, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
          stablehlo.return %c : tensor<i1>
        } do {
          %j1 = stablehlo.add %j, %one : tensor<i32>
          stablehlo.return %j1 : tensor<i32>
        }
      %i1 = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %i1, %inner : tensor<i32>, tensor<i32>
    }
  return %r#1 : tensor<i32>
}

// -----

// A trip count beyond i64 (here 2^64 - 1) is charged as i64's largest value,
// more than any budget. In the function's body, that is its up-front price,
// which no call can pay. In a branch, the loop is guarded: skipped, never
// run 2^64 times, and a skipped loop leaves -1, not fuel - count: loops
// overdrawing one after another could wrap the budget around to a positive
// value.

// CHECK-LABEL: func.func @huge_trip_count
// CHECK-SAME:    attributes {webtensor.cost = 9223372036854775807 : i64, webtensor.loop_costs = array<i64>}
func.func @huge_trip_count(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0> : tensor<ui64>
  %one = stablehlo.constant dense<1> : tensor<ui64>
  %end = stablehlo.constant dense<18446744073709551615> : tensor<ui64>
  %r:2 = stablehlo.while(%i = %zero, %v = %x) : tensor<ui64>, tensor<4xf32>
    cond {
      %c = stablehlo.compare LT, %i, %end : (tensor<ui64>, tensor<ui64>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %i1 = stablehlo.add %i, %one : tensor<ui64>
      %d = stablehlo.add %v, %v : tensor<4xf32>
      stablehlo.return %i1, %d : tensor<ui64>, tensor<4xf32>
    }
  return %r#1 : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @huge_trip_count_in_branch
// CHECK-SAME:    (%[[P:.*]]: tensor<i1>, %[[X:.*]]: tensor<4xf32>, %[[FUEL:.*]]: tensor<i64>)
// CHECK:         "stablehlo.if"(%[[P]])
// CHECK:           %[[TRIP:.*]] = stablehlo.constant dense<9223372036854775807> : tensor<i64>
// CHECK:           %[[COVERED:.*]] = stablehlo.compare  GE, %[[FUEL]], %[[TRIP]],  SIGNED
// CHECK:           %[[CHARGED:.*]] = stablehlo.subtract %[[FUEL]], %[[TRIP]]
// CHECK:           %[[OVERDRAWN:.*]] = stablehlo.constant dense<-1> : tensor<i64>
// CHECK:           %[[IF:.*]]:3 = "stablehlo.if"(%[[COVERED]]) ({
// CHECK:             stablehlo.while
// CHECK:             stablehlo.return %{{.*}}, %{{.*}}, %[[CHARGED]]
// CHECK:           }, {
// CHECK:             stablehlo.return %{{.*}}, %[[X]], %[[OVERDRAWN]]
// CHECK:           stablehlo.return %[[IF]]#1, %[[IF]]#2
func.func @huge_trip_count_in_branch(%p: tensor<i1>, %x: tensor<4xf32>) -> tensor<4xf32> {
  %r = "stablehlo.if"(%p) ({
    %zero = stablehlo.constant dense<0> : tensor<ui64>
    %one = stablehlo.constant dense<1> : tensor<ui64>
    %end = stablehlo.constant dense<18446744073709551615> : tensor<ui64>
    %w:2 = stablehlo.while(%i = %zero, %v = %x) : tensor<ui64>, tensor<4xf32>
      cond {
        %c = stablehlo.compare LT, %i, %end : (tensor<ui64>, tensor<ui64>) -> tensor<i1>
        stablehlo.return %c : tensor<i1>
      } do {
        %i1 = stablehlo.add %i, %one : tensor<ui64>
        %d = stablehlo.add %v, %v : tensor<4xf32>
        stablehlo.return %i1, %d : tensor<ui64>, tensor<4xf32>
      }
    stablehlo.return %w#1 : tensor<4xf32>
  }, {
    stablehlo.return %x : tensor<4xf32>
  }) : (tensor<i1>) -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// fori_loop with a bound known only at run time, carried unchanged: charged
// its count times its iteration charge (560,024) up front, and run only if
// the budget covers that (else its limit becomes its start: no iteration).
// No 64-bit division: the count is first checked against the most
// iterations any budget pays for (2^62 / 560,024), so the product cannot
// wrap. The loop itself is left as it was: no check in its condition.

// CHECK-LABEL: func.func @bounded
// CHECK-SAME:    (%[[X:.*]]: tensor<f32>, %[[N:.*]]: tensor<i32>, %[[FUEL:.*]]: tensor<i64>) -> (tensor<f32>, tensor<i32>, tensor<i64>)
// CHECK:         %[[START:.*]] = stablehlo.constant dense<0> : tensor<i64>
// CHECK:         %[[PRICE:.*]] = stablehlo.constant dense<560024> : tensor<i64>
// CHECK:         %[[END:.*]] = stablehlo.convert %[[N]] : (tensor<i32>) -> tensor<i64>
// CHECK-NEXT:    %[[HI:.*]] = stablehlo.maximum %[[END]], %[[START]]
// CHECK-NEXT:    %[[COUNT:.*]] = stablehlo.subtract %[[HI]], %[[START]]
// CHECK-NEXT:    %[[SPENT:.*]] = stablehlo.multiply %[[COUNT]], %[[PRICE]]
// CHECK-NEXT:    %[[MOST:.*]] = stablehlo.constant dense<8234800684305> : tensor<i64>
// CHECK-NEXT:    %[[WITHIN:.*]] = stablehlo.compare LE, %[[COUNT]], %[[MOST]]
// CHECK-NEXT:    %[[PAID:.*]] = stablehlo.compare LE, %[[SPENT]], %[[FUEL]]
// CHECK-NEXT:    %[[COVERED:.*]] = stablehlo.and %[[WITHIN]], %[[PAID]]
// CHECK-NEXT:    %[[START32:.*]] = stablehlo.constant dense<0> : tensor<i32>
// CHECK-NEXT:    %[[LIMIT:.*]] = stablehlo.select %[[COVERED]], %[[N]], %[[START32]]
// CHECK-NEXT:    %[[CHARGED:.*]] = stablehlo.subtract %[[FUEL]], %[[SPENT]]
// CHECK-NEXT:    %[[OVERDRAWN:.*]] = stablehlo.constant dense<-1> : tensor<i64>
// CHECK-NEXT:    %[[LEFT:.*]] = stablehlo.select %[[COVERED]], %[[CHARGED]], %[[OVERDRAWN]]
// CHECK-NEXT:    %[[R:.*]]:3 = stablehlo.while(%[[I:.*]] = %{{.*}}, %[[M:.*]] = %[[LIMIT]], %{{.*}} = %[[X]])
// CHECK:           %[[LT:.*]] = stablehlo.compare LT, %[[I]], %[[M]]
// CHECK-NEXT:      stablehlo.return %[[LT]] : tensor<i1>
// CHECK:         return %[[R]]#2, %[[N]], %[[LEFT]]
func.func @bounded(%x: tensor<f32>, %n: tensor<i32>) -> (tensor<f32>, tensor<i32>) {
  %c0 = stablehlo.constant dense<0> : tensor<i32>
  %c1 = stablehlo.constant dense<1> : tensor<i32>
  %r:3 = stablehlo.while(%i = %c0, %m = %n, %acc = %x) : tensor<i32>, tensor<i32>, tensor<f32>
    cond {
      %lt = stablehlo.compare LT, %i, %m, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %lt : tensor<i1>
    } do {
      %next = stablehlo.add %i, %c1 : tensor<i32>
      %a = stablehlo.add %acc, %acc : tensor<f32>
      stablehlo.return %next, %m, %a : tensor<i32>, tensor<i32>, tensor<f32>
    }
  // The carried limit's result is the original limit, not the lowered one.
  return %r#2, %r#1 : tensor<f32>, tensor<i32>
}

// -----

// A limit from outside the loop: the compare reads the lowered limit.

// CHECK-LABEL: func.func @bounded_from_outside
// CHECK:         %[[LIMIT:.*]] = stablehlo.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<i1>, tensor<i32>
// CHECK:         stablehlo.while
// CHECK:           stablehlo.compare LT, %{{.*}}, %[[LIMIT]], SIGNED
// CHECK-NEXT:      stablehlo.return
func.func @bounded_from_outside(%x: tensor<f32>, %n: tensor<i32>) -> tensor<f32> {
  %c0 = stablehlo.constant dense<0> : tensor<i32>
  %c1 = stablehlo.constant dense<1> : tensor<i32>
  %r:2 = stablehlo.while(%i = %c0, %acc = %x) : tensor<i32>, tensor<f32>
    cond {
      %lt = stablehlo.compare LT, %i, %n, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %lt : tensor<i1>
    } do {
      %next = stablehlo.add %i, %c1 : tensor<i32>
      %a = stablehlo.add %acc, %acc : tensor<f32>
      stablehlo.return %next, %a : tensor<i32>, tensor<f32>
    }
  return %r#1 : tensor<f32>
}

// -----

// An UNSIGNED compare of signless integers is not a counted loop: read as
// unsigned, the constant -1 is 2^32 - 1, so the loop would run four billion
// unmetered iterations if it were charged the signed count (zero). It checks
// the budget every iteration instead.

// CHECK-LABEL: func.func @unsigned_compare_of_signless
// CHECK:         stablehlo.while
// CHECK:           %[[LT:.*]] = stablehlo.compare LT, %{{.*}}, %{{.*}}, UNSIGNED
// CHECK:           %[[HAS:.*]] = stablehlo.compare GE, %{{.*}}, %{{.*}}, SIGNED
// CHECK-NEXT:      %[[GO:.*]] = stablehlo.and %[[LT]], %[[HAS]]
// CHECK-NEXT:      stablehlo.return %[[GO]]
func.func @unsigned_compare_of_signless(%x: tensor<f32>) -> tensor<f32> {
  %c0 = stablehlo.constant dense<0> : tensor<i32>
  %c1 = stablehlo.constant dense<1> : tensor<i32>
  %r:2 = stablehlo.while(%i = %c0, %acc = %x) : tensor<i32>, tensor<f32>
    cond {
      %n = stablehlo.constant dense<-1> : tensor<i32>
      %lt = stablehlo.compare LT, %i, %n, UNSIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %lt : tensor<i1>
    } do {
      %next = stablehlo.add %i, %c1 : tensor<i32>
      %a = stablehlo.add %acc, %acc : tensor<f32>
      stablehlo.return %next, %a : tensor<i32>, tensor<f32>
    }
  return %r#1 : tensor<f32>
}
