// RUN: webtensor-opt %s -p webtensor-sandbox-gather --split-input-file --verify-diagnostics | filecheck %s

// Each start index is clamped into [0, dim - slice_size] before the gather,
// and the gather no longer promises sorted indices (clamping can reorder them).

// CHECK-LABEL: func.func @rows
// CHECK-SAME:    (%[[X:.*]]: tensor<10x3xf32>, %[[I:.*]]: tensor<4x1xi32>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<9> : tensor<4x1xi32>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<4x1xi32>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]] : tensor<4x1xi32>
// CHECK-NEXT:    %[[R:.*]] = "stablehlo.gather"(%[[X]], %[[SAFE]])
// CHECK-SAME:      indices_are_sorted = false
// CHECK-SAME:      -> tensor<4x3xf32>
// CHECK-NEXT:    return %[[R]]
func.func @rows(%x: tensor<10x3xf32>, %i: tensor<4x1xi32>) -> tensor<4x3xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 1, 3>, indices_are_sorted = true} : (tensor<10x3xf32>, tensor<4x1xi32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Several components with different bounds: a vector of bounds, broadcast
// along index_vector_dim. start_index_map = [1, 0], so component 0 is bounded
// by dim 1 (6 - 3 = 3) and component 1 by dim 0 (1000 - 2 = 998), which i8
// cannot hold: it saturates to 127, and every i8 value <= 127 is in bounds.

// CHECK-LABEL: func.func @windows_i8
// CHECK-SAME:    (%[[X:.*]]: tensor<1000x6xf32>, %[[I:.*]]: tensor<5x2xi8>)
// CHECK-NEXT:    %[[VEC:.*]] = stablehlo.constant dense<[3, 127]> : tensor<2xi8>
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.broadcast_in_dim %[[VEC]], dims = [1] : (tensor<2xi8>) -> tensor<5x2xi8>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<5x2xi8>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]] : tensor<5x2xi8>
// CHECK-NEXT:    "stablehlo.gather"(%[[X]], %[[SAFE]])
func.func @windows_i8(%x: tensor<1000x6xf32>, %i: tensor<5x2xi8>) -> tensor<5x2x3xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [1, 2], start_index_map = [1, 0], index_vector_dim = 1>, slice_sizes = array<i64: 2, 3>} : (tensor<1000x6xf32>, tensor<5x2xi8>) -> tensor<5x2x3xf32>
  return %0 : tensor<5x2x3xf32>
}

// -----

// index_vector_dim first: the bounds go along dim 0. i64 indices are clamped
// on their full value (IREE would truncate them beyond 2^32 otherwise).

// CHECK-LABEL: func.func @vector_first_i64
// CHECK-SAME:    (%[[X:.*]]: tensor<10x6xf32>, %[[I:.*]]: tensor<2x5xi64>)
// CHECK-NEXT:    %[[VEC:.*]] = stablehlo.constant dense<[8, 3]> : tensor<2xi64>
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.broadcast_in_dim %[[VEC]], dims = [0] : (tensor<2xi64>) -> tensor<2x5xi64>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<2x5xi64>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]] : tensor<2x5xi64>
// CHECK-NEXT:    "stablehlo.gather"(%[[X]], %[[SAFE]])
func.func @vector_first_i64(%x: tensor<10x6xf32>, %i: tensor<2x5xi64>) -> tensor<5x2x3xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [1, 2], start_index_map = [0, 1], index_vector_dim = 0>, slice_sizes = array<i64: 2, 3>} : (tensor<10x6xf32>, tensor<2x5xi64>) -> tensor<5x2x3xf32>
  return %0 : tensor<5x2x3xf32>
}

// -----

// index_vector_dim == rank(start_indices): each index is a vector of one
// implicit component, and the bound is a splat of the indices' shape.

// CHECK-LABEL: func.func @implicit_vector_i16
// CHECK-SAME:    (%[[X:.*]]: tensor<10x3xf32>, %[[I:.*]]: tensor<4xi16>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<9> : tensor<4xi16>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<4xi16>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]] : tensor<4xi16>
// CHECK-NEXT:    "stablehlo.gather"(%[[X]], %[[SAFE]])
func.func @implicit_vector_i16(%x: tensor<10x3xf32>, %i: tensor<4xi16>) -> tensor<4x3xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 1, 3>} : (tensor<10x3xf32>, tensor<4xi16>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// Unsigned indices are clamped as unsigned. IREE's gather lowering reads an
// index as signed, so a clamped ui8 that may exceed 127 (bound 299 saturates
// to 255) is converted to i16 first; one that cannot (bound 9) is not.

// CHECK-LABEL: func.func @unsigned_wide
// CHECK-SAME:    (%[[X:.*]]: tensor<300xf32>, %[[I:.*]]: tensor<4x1xui8>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<255> : tensor<4x1xui8>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<4x1xui8>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]] : tensor<4x1xui8>
// CHECK-NEXT:    %[[SIGNED:.*]] = stablehlo.convert %[[SAFE]] : (tensor<4x1xui8>) -> tensor<4x1xi16>
// CHECK-NEXT:    "stablehlo.gather"(%[[X]], %[[SIGNED]])
// CHECK-SAME:      (tensor<300xf32>, tensor<4x1xi16>) -> tensor<4xf32>
func.func @unsigned_wide(%x: tensor<300xf32>, %i: tensor<4x1xui8>) -> tensor<4xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 1>} : (tensor<300xf32>, tensor<4x1xui8>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CHECK-LABEL: func.func @unsigned_narrow
// CHECK-SAME:    (%[[X:.*]]: tensor<10xf32>, %[[I:.*]]: tensor<4x1xui8>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<9> : tensor<4x1xui8>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<4x1xui8>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]] : tensor<4x1xui8>
// CHECK-NEXT:    "stablehlo.gather"(%[[X]], %[[SAFE]])
// CHECK-SAME:      (tensor<10xf32>, tensor<4x1xui8>) -> tensor<4xf32>
func.func @unsigned_narrow(%x: tensor<10xf32>, %i: tensor<4x1xui8>) -> tensor<4xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 1>} : (tensor<10xf32>, tensor<4x1xui8>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Batching dimensions index by position in start_indices and need no clamp:
// only the start_index_map component (operand dim 1) is bounded.

// CHECK-LABEL: func.func @batching
// CHECK-SAME:    (%[[X:.*]]: tensor<3x10x4xf32>, %[[I:.*]]: tensor<3x5x1xi32>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<9> : tensor<3x5x1xi32>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<3x5x1xi32>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]] : tensor<3x5x1xi32>
// CHECK-NEXT:    "stablehlo.gather"(%[[X]], %[[SAFE]])
// CHECK-SAME:      operand_batching_dims = [0], start_indices_batching_dims = [0]
func.func @batching(%x: tensor<3x10x4xf32>, %i: tensor<3x5x1xi32>) -> tensor<3x5x4xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [2], collapsed_slice_dims = [1], operand_batching_dims = [0], start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 2>, slice_sizes = array<i64: 1, 1, 4>} : (tensor<3x10x4xf32>, tensor<3x5x1xi32>) -> tensor<3x5x4xf32>
  return %0 : tensor<3x5x4xf32>
}

// -----

// An empty start_index_map: every slice starts at 0, nothing to clamp.

// CHECK-LABEL: func.func @no_components
// CHECK-SAME:    (%[[X:.*]]: tensor<10x3xf32>, %[[I:.*]]: tensor<4x0xi32>)
// CHECK-NEXT:    "stablehlo.gather"(%[[X]], %[[I]])
// CHECK-SAME:      indices_are_sorted = false
func.func @no_components(%x: tensor<10x3xf32>, %i: tensor<4x0xi32>) -> tensor<4x10x3xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [1, 2], start_index_map = [], index_vector_dim = 1>, slice_sizes = array<i64: 10, 3>, indices_are_sorted = true} : (tensor<10x3xf32>, tensor<4x0xi32>) -> tensor<4x10x3xf32>
  return %0 : tensor<4x10x3xf32>
}

// -----

// A module without gathers is unchanged.

// CHECK-LABEL: func.func @no_gather
// CHECK-NEXT:    stablehlo.add
// CHECK-NEXT:    return
func.func @no_gather(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.add %x, %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// A dynamic operand has no constant bound.

// CHECK: sandbox-gather.mlir:[[# @LINE + 2]]:8: error: the sandbox does not support gather on dynamic shapes; give the operand and start indices static shapes
func.func @dynamic_operand(%x: tensor<?x3xf32>, %i: tensor<4x1xi32>) -> tensor<4x3xf32> {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 1, 3>} : (tensor<?x3xf32>, tensor<4x1xi32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// dynamic_gather's slice sizes are not constants: rejected, every one reported.

// CHECK: sandbox-gather.mlir:[[# @LINE + 3]]:8: error: the sandbox does not support stablehlo.dynamic_gather; use stablehlo.gather
// CHECK: sandbox-gather.mlir:[[# @LINE + 3]]:8: error: the sandbox does not support stablehlo.dynamic_gather; use stablehlo.gather
func.func @dynamic_gather(%x: tensor<10x3xf32>, %i: tensor<4x1xi32>, %s: tensor<2xi32>) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %0 = "stablehlo.dynamic_gather"(%x, %i, %s) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>} : (tensor<10x3xf32>, tensor<4x1xi32>, tensor<2xi32>) -> tensor<4x3xf32>
  %1 = "stablehlo.dynamic_gather"(%x, %i, %s) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>} : (tensor<10x3xf32>, tensor<4x1xi32>, tensor<2xi32>) -> tensor<4x3xf32>
  return %0, %1 : tensor<4x3xf32>, tensor<4x3xf32>
}
