// RUN: webtensor-opt %s -p webtensor-bind-weights --split-input-file | filecheck %s

// A marked argument leaves the function: it is loaded from a global
// initialised from the named parameter, and the other arguments stay.

// CHECK:       util.global private @__webtensor_weight_0 = #flow.parameter.named<"model"::"params['w']"> : tensor<4x8xf32>
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%[[X:.*]]: tensor<2x4xf32>) -> tensor<2x8xf32>
// CHECK-NEXT:    %[[W:.*]] = util.global.load @__webtensor_weight_0 : tensor<4x8xf32>
// CHECK-NEXT:    %[[Y:.*]] = stablehlo.dot_general %[[X]], %[[W]]
// CHECK-NEXT:    return %[[Y]]
func.func @main(%w: tensor<4x8xf32> {webtensor.weight = "params['w']"}, %x: tensor<2x4xf32>) -> tensor<2x8xf32> {
  %0 = stablehlo.dot_general %x, %w, contracting_dims = [1] x [0] : (tensor<2x4xf32>, tensor<4x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// Functions that read the same weight share its global; a weight used
// inside a loop body is loaded once, at the top of the function.

// CHECK:       util.global private @__webtensor_weight_1 = #flow.parameter.named<"model"::"b"> : tensor<i32>
// CHECK:       util.global private @__webtensor_weight_0 = #flow.parameter.named<"model"::"a"> : tensor<3xi32>
// CHECK-LABEL: func.func @first
// CHECK-SAME:    (%[[X:.*]]: tensor<3xi32>) -> tensor<3xi32>
// CHECK-NEXT:    %[[A:.*]] = util.global.load @__webtensor_weight_0
// CHECK-NEXT:    stablehlo.add %[[X]], %[[A]]
func.func @first(%x: tensor<3xi32>, %a: tensor<3xi32> {webtensor.weight = "a"}) -> tensor<3xi32> {
  %0 = stablehlo.add %x, %a : tensor<3xi32>
  return %0 : tensor<3xi32>
}
// CHECK-LABEL: func.func @second
// CHECK-SAME:    (%[[X:.*]]: tensor<3xi32>) -> tensor<3xi32>
// CHECK-NEXT:    %[[A:.*]] = util.global.load @__webtensor_weight_0
// CHECK-NEXT:    %[[B:.*]] = util.global.load @__webtensor_weight_1
// CHECK:         stablehlo.while
// CHECK:           stablehlo.compare LT, %{{.*}}, %[[B]]
// CHECK:           stablehlo.add %{{.*}}, %[[A]]
func.func @second(%a: tensor<3xi32> {webtensor.weight = "a"}, %b: tensor<i32> {webtensor.weight = "b"}, %x: tensor<3xi32>) -> tensor<3xi32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %r:2 = stablehlo.while(%i = %zero, %acc = %x) : tensor<i32>, tensor<3xi32>
    cond {
      %c = stablehlo.compare LT, %i, %b : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %one = stablehlo.constant dense<1> : tensor<i32>
      %next = stablehlo.add %i, %one : tensor<i32>
      %sum = stablehlo.add %acc, %a : tensor<3xi32>
      stablehlo.return %next, %sum : tensor<i32>, tensor<3xi32>
    }
  return %r#1 : tensor<3xi32>
}

// -----

// Unmarked arguments, and functions without marks, stay as they are.

// CHECK-NOT:   util.global
// CHECK-LABEL: func.func @plain
// CHECK-SAME:    (%[[A:.*]]: tensor<3xf32>, %[[B:.*]]: tensor<3xf32>)
// CHECK-NEXT:    stablehlo.add %[[A]], %[[B]]
func.func @plain(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.add %a, %b : tensor<3xf32>
  return %0 : tensor<3xf32>
}
