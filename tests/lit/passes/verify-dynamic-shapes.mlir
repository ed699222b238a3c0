// RUN: webtensor-opt %s -p webtensor-verify-dynamic-shapes --split-input-file --verify-diagnostics | filecheck %s

// Dynamic dims that flow from inputs through elementwise ops and
// dot_general: the groups of input dims that must be equal are recorded.

// CHECK-LABEL: func.func @groups
// CHECK-SAME:    webtensor.dim_groups = "{\22equal\22: {{\[}}{{\[}}[0, 0], [1, 0]]], \22fixed\22: [{{\[}}{{\[}}[2, 0]], 4]]}"
func.func @groups(%a: tensor<?x4xf32>, %b: tensor<?x4xf32>, %w: tensor<?x3xf32>) -> tensor<?x3xf32> {
  %0 = stablehlo.add %a, %b : tensor<?x4xf32>
  %1 = stablehlo.dot_general %0, %w, contracting_dims = [1] x [0] : (tensor<?x4xf32>, tensor<?x3xf32>) -> tensor<?x3xf32>
  %2 = stablehlo.tanh %1 : tensor<?x3xf32>
  return %2 : tensor<?x3xf32>
}

// -----

// Static functions are unchanged.

// CHECK-LABEL: func.func @static
// CHECK-SAME:    (%{{.*}}: tensor<4xf32>) -> tensor<4xf32> {
func.func @static(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}

// -----

// Ops outside the rules are refused when they see a dynamic dimension.

// CHECK: verify-dynamic-shapes.mlir:[[# @LINE + 2]]:8: error: 'stablehlo.reverse' does not support dynamic dimensions
func.func @reverse(%a: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = stablehlo.reverse %a, dims = [0] : tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// -----

// CHECK: verify-dynamic-shapes.mlir:[[# @LINE + 2]]:8: error: broadcasting a dynamic dimension to a static one is not supported
func.func @to_static(%a: tensor<?xf32>) -> tensor<4x8xf32> {
  %0 = stablehlo.broadcast_in_dim %a, dims = [1] : (tensor<?xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
