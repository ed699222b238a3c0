// RUN: webtensor-opt %s -p webtensor-sandbox-select-and-scatter --split-input-file | filecheck %s

// The select region is asked the other way round and negated: IREE takes the
// candidate x over the current c when select'(x, c) = not select(c, x), which
// is exactly when XLA does not keep c. The scatter region is untouched.

// CHECK-LABEL: func.func @max_pool_gradient
// CHECK:         "stablehlo.select_and_scatter"
// CHECK-NEXT:    ^bb0(%[[X:.*]]: tensor<f32>, %[[C:.*]]: tensor<f32>):
// CHECK-NEXT:      %[[KEEP:.*]] = stablehlo.compare GE, %[[C]], %[[X]], FLOAT
// CHECK-NEXT:      %[[TAKE:.*]] = stablehlo.not %[[KEEP]]
// CHECK-NEXT:      stablehlo.return %[[TAKE]]
// CHECK-NEXT:    }, {
// CHECK-NEXT:    ^bb0(%[[U:.*]]: tensor<f32>, %[[V:.*]]: tensor<f32>):
// CHECK-NEXT:      %[[SUM:.*]] = stablehlo.add %[[U]], %[[V]]
// CHECK-NEXT:      stablehlo.return %[[SUM]]
func.func @max_pool_gradient(%x: tensor<6xf32>, %g: tensor<3xf32>, %zero: tensor<f32>) -> tensor<6xf32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) {window_dimensions = array<i64: 2>, window_strides = array<i64: 2>} : (tensor<6xf32>, tensor<3xf32>, tensor<f32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// A region of several ops is copied whole, with its arguments swapped.

// CHECK-LABEL: func.func @several_ops
// CHECK:         ^bb0(%[[X:.*]]: tensor<i32>, %[[C:.*]]: tensor<i32>):
// CHECK-NEXT:      %[[NEG:.*]] = stablehlo.negate %[[C]]
// CHECK-NEXT:      %[[KEEP:.*]] = stablehlo.compare GT, %[[NEG]], %[[X]], SIGNED
// CHECK-NEXT:      %[[TAKE:.*]] = stablehlo.not %[[KEEP]]
// CHECK-NEXT:      stablehlo.return %[[TAKE]]
func.func @several_ops(%x: tensor<4xi32>, %g: tensor<2xi32>, %zero: tensor<i32>) -> tensor<4xi32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %n = stablehlo.negate %a : tensor<i32>
    %c = stablehlo.compare GT, %n, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %r = stablehlo.add %a, %b : tensor<i32>
    stablehlo.return %r : tensor<i32>
  }) {window_dimensions = array<i64: 2>, window_strides = array<i64: 2>} : (tensor<4xi32>, tensor<2xi32>, tensor<i32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// A module without select_and_scatter is unchanged.

// CHECK-LABEL: func.func @no_select_and_scatter
// CHECK-NEXT:    stablehlo.maximum
// CHECK-NEXT:    return
func.func @no_select_and_scatter(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.maximum %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
