// RUN: webtensor-opt %s -p webtensor-sandbox-sort --split-input-file | filecheck %s

// Ties are broken by position: an iota rides along as a last operand, and
// the comparator asks the original one both ways round. A negative dimension
// counts from the end; an unstable sort gets the stable order too. A barrier
// uses every result, so that IREE puts none of them on the stack.

// CHECK-LABEL: func.func @two_keys
// CHECK-SAME:    (%[[K:.*]]: tensor<4x5xi32>, %[[F:.*]]: tensor<4x5xf32>)
// CHECK-NEXT:    %[[POS:.*]] = stablehlo.iota dim = 1 : tensor<4x5xi32>
// CHECK-NEXT:    %[[S:.*]]:3 = "stablehlo.sort"(%[[K]], %[[F]], %[[POS]]) <{dimension = -1 : i64, is_stable = false}>
// CHECK-NEXT:    ^bb0(%[[A:.*]]: tensor<i32>, %[[B:.*]]: tensor<i32>, %[[C:.*]]: tensor<f32>, %[[D:.*]]: tensor<f32>, %[[I:.*]]: tensor<i32>, %[[J:.*]]: tensor<i32>):
// CHECK-NEXT:      %[[LT:.*]] = stablehlo.compare LT, %[[A]], %[[B]], SIGNED
// CHECK-NEXT:      %[[EQ:.*]] = stablehlo.compare EQ, %[[A]], %[[B]], SIGNED
// CHECK-NEXT:      %[[LT2:.*]] = stablehlo.compare LT, %[[C]], %[[D]], FLOAT
// CHECK-NEXT:      %[[AND:.*]] = stablehlo.and %[[EQ]], %[[LT2]]
// CHECK-NEXT:      %[[LESS:.*]] = stablehlo.or %[[LT]], %[[AND]]
// CHECK-NEXT:      %[[GT:.*]] = stablehlo.compare LT, %[[B]], %[[A]], SIGNED
// CHECK-NEXT:      %[[EQ_SWAPPED:.*]] = stablehlo.compare EQ, %[[B]], %[[A]], SIGNED
// CHECK-NEXT:      %[[GT2:.*]] = stablehlo.compare LT, %[[D]], %[[C]], FLOAT
// CHECK-NEXT:      %[[AND_SWAPPED:.*]] = stablehlo.and %[[EQ_SWAPPED]], %[[GT2]]
// CHECK-NEXT:      %[[GREATER:.*]] = stablehlo.or %[[GT]], %[[AND_SWAPPED]]
// CHECK-NEXT:      %[[EARLIER:.*]] = stablehlo.compare LT, %[[I]], %[[J]], SIGNED
// CHECK-NEXT:      %[[NOT_GREATER:.*]] = stablehlo.not %[[GREATER]]
// CHECK-NEXT:      %[[TIE:.*]] = stablehlo.and %[[NOT_GREATER]], %[[EARLIER]]
// CHECK-NEXT:      %[[R:.*]] = stablehlo.or %[[LESS]], %[[TIE]]
// CHECK-NEXT:      stablehlo.return %[[R]]
// CHECK:         %[[KEPT:.*]]:3 = stablehlo.optimization_barrier %[[S]]#0, %[[S]]#1, %[[S]]#2
// CHECK-NEXT:    return %[[KEPT]]#0, %[[KEPT]]#1
func.func @two_keys(%k: tensor<4x5xi32>, %f: tensor<4x5xf32>) -> (tensor<4x5xi32>, tensor<4x5xf32>) {
  %0:2 = "stablehlo.sort"(%k, %f) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>, %c: tensor<f32>, %d: tensor<f32>):
    %lt = stablehlo.compare LT, %a, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    %eq = stablehlo.compare EQ, %a, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    %lt2 = stablehlo.compare LT, %c, %d, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %and = stablehlo.and %eq, %lt2 : tensor<i1>
    %p = stablehlo.or %lt, %and : tensor<i1>
    stablehlo.return %p : tensor<i1>
  }) {dimension = -1 : i64, is_stable = false} : (tensor<4x5xi32>, tensor<4x5xf32>) -> (tensor<4x5xi32>, tensor<4x5xf32>)
  return %0#0, %0#1 : tensor<4x5xi32>, tensor<4x5xf32>
}

// -----

// A comparator that ignores its arguments orders nothing: the inputs come
// back as they are (IREE 3.13 crashes compiling the sort).

// CHECK-LABEL: func.func @constant_comparator
// CHECK-SAME:    (%[[X:.*]]: tensor<8xf32>)
// CHECK-NEXT:    return %[[X]]
func.func @constant_comparator(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = "stablehlo.sort"(%x) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.constant dense<true> : tensor<i1>
    stablehlo.return %c : tensor<i1>
  }) {dimension = 0 : i64, is_stable = true} : (tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// A dynamic shape has no iota in the profile: unchanged.

// CHECK-LABEL: func.func @dynamic_shape
// CHECK-NEXT:    "stablehlo.sort"(%{{.*}}) <{dimension = 0 : i64, is_stable = true}>
// CHECK-NEXT:    ^bb0(%{{.*}}: tensor<f32>, %{{.*}}: tensor<f32>):
func.func @dynamic_shape(%x: tensor<?xf32, #stablehlo.bounds<8>>) -> tensor<?xf32, #stablehlo.bounds<8>> {
  %0 = "stablehlo.sort"(%x) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %p = stablehlo.compare LT, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %p : tensor<i1>
  }) {dimension = 0 : i64, is_stable = true} : (tensor<?xf32, #stablehlo.bounds<8>>) -> tensor<?xf32, #stablehlo.bounds<8>>
  return %0 : tensor<?xf32, #stablehlo.bounds<8>>
}

// -----

// jnp.argsort's iota along the sort dimension already numbers the positions:
// it breaks the ties, and no second iota joins it.

// CHECK-LABEL: func.func @argsort
// CHECK-SAME:    (%[[X:.*]]: tensor<2x6xf32>)
// CHECK-NEXT:    %[[POS:.*]] = stablehlo.iota dim = 1 : tensor<2x6xi32>
// CHECK-NEXT:    %[[S:.*]]:2 = "stablehlo.sort"(%[[X]], %[[POS]])
// CHECK-NEXT:    ^bb0(%[[A:.*]]: tensor<f32>, %[[B:.*]]: tensor<f32>, %[[I:.*]]: tensor<i32>, %[[J:.*]]: tensor<i32>):
// CHECK:           stablehlo.compare LT, %[[I]], %[[J]], SIGNED
// CHECK:         %[[KEPT:.*]]:2 = stablehlo.optimization_barrier %[[S]]#0, %[[S]]#1
// CHECK-NEXT:    return %[[KEPT]]#1
func.func @argsort(%x: tensor<2x6xf32>) -> tensor<2x6xi32> {
  %i = stablehlo.iota dim = 1 : tensor<2x6xi32>
  %0:2 = "stablehlo.sort"(%x, %i) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>, %c: tensor<i32>, %d: tensor<i32>):
    %p = stablehlo.compare LT, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %p : tensor<i1>
  }) {dimension = 1 : i64, is_stable = true} : (tensor<2x6xf32>, tensor<2x6xi32>) -> (tensor<2x6xf32>, tensor<2x6xi32>)
  return %0#1 : tensor<2x6xi32>
}

// -----

// A value given twice is sorted once; both results are that one.

// CHECK-LABEL: func.func @same_value_twice
// CHECK-SAME:    (%[[X:.*]]: tensor<3x5xf32>)
// CHECK:         %[[S:.*]]:2 = "stablehlo.sort"(%[[X]], %{{.*}}) <{dimension = 1 : i64, is_stable = true}>
// CHECK:         %[[KEPT:.*]]:2 = stablehlo.optimization_barrier %[[S]]#0, %[[S]]#1
// CHECK-NEXT:    return %[[KEPT]]#0, %[[KEPT]]#0
func.func @same_value_twice(%x: tensor<3x5xf32>) -> (tensor<3x5xf32>, tensor<3x5xf32>) {
  %0:2 = "stablehlo.sort"(%x, %x) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>, %c: tensor<f32>, %d: tensor<f32>):
    %p = stablehlo.compare LT, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %p : tensor<i1>
  }) {dimension = 1 : i64, is_stable = true} : (tensor<3x5xf32>, tensor<3x5xf32>) -> (tensor<3x5xf32>, tensor<3x5xf32>)
  return %0#0, %0#1 : tensor<3x5xf32>, tensor<3x5xf32>
}

// -----

// bf16 keys travel as their i16 bit patterns and are bitcast back for the
// comparator: IREE's sort moves bf16 through f32, which turns -NaN into +NaN.

// CHECK-LABEL: func.func @bf16_keys
// CHECK-SAME:    (%[[K:.*]]: tensor<4xbf16>, %[[V:.*]]: tensor<4xi32>)
// CHECK-NEXT:    %[[BITS:.*]] = stablehlo.bitcast_convert %[[K]] : (tensor<4xbf16>) -> tensor<4xi16>
// CHECK-NEXT:    %[[POS:.*]] = stablehlo.iota dim = 0 : tensor<4xi32>
// CHECK-NEXT:    %[[S:.*]]:3 = "stablehlo.sort"(%[[BITS]], %[[V]], %[[POS]])
// CHECK-NEXT:    ^bb0(%[[A:.*]]: tensor<i16>, %[[B:.*]]: tensor<i16>, %{{.*}}: tensor<i32>, %{{.*}}: tensor<i32>, %{{.*}}: tensor<i32>, %{{.*}}: tensor<i32>):
// CHECK-NEXT:      %[[FA:.*]] = stablehlo.bitcast_convert %[[A]] : (tensor<i16>) -> tensor<bf16>
// CHECK-NEXT:      %[[FB:.*]] = stablehlo.bitcast_convert %[[B]] : (tensor<i16>) -> tensor<bf16>
// CHECK-NEXT:      stablehlo.compare LT, %[[FA]], %[[FB]], TOTALORDER
// CHECK:         %[[KEPT:.*]]:3 = stablehlo.optimization_barrier %[[S]]#0, %[[S]]#1, %[[S]]#2
// CHECK-NEXT:    %[[SORTED:.*]] = stablehlo.bitcast_convert %[[KEPT]]#0 : (tensor<4xi16>) -> tensor<4xbf16>
// CHECK-NEXT:    return %[[SORTED]], %[[KEPT]]#1
func.func @bf16_keys(%k: tensor<4xbf16>, %v: tensor<4xi32>) -> (tensor<4xbf16>, tensor<4xi32>) {
  %r:2 = "stablehlo.sort"(%k, %v) ({
  ^bb0(%a: tensor<bf16>, %b: tensor<bf16>, %c: tensor<i32>, %d: tensor<i32>):
    %p = stablehlo.compare LT, %a, %b, TOTALORDER : (tensor<bf16>, tensor<bf16>) -> tensor<i1>
    stablehlo.return %p : tensor<i1>
  }) {dimension = 0 : i64, is_stable = true} : (tensor<4xbf16>, tensor<4xi32>) -> (tensor<4xbf16>, tensor<4xi32>)
  return %r#0, %r#1 : tensor<4xbf16>, tensor<4xi32>
}
