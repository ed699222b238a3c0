// RUN: webtensor-opt %s -p webtensor-sandbox-scatter --split-input-file --verify-diagnostics | filecheck %s

// Fast path: an add computation has an identity. Indices are clamped, so every
// access is in bounds; an index vector is in bounds when clamping leaves it
// unchanged (AND over index_vector_dim), and the updates of the others become
// -0.0, the float identity of add (x + -0.0 == x bitwise, also for x = -0.0).
// The rewritten scatter promises neither unique nor sorted indices.

// CHECK-LABEL: func.func @add_f32
// CHECK-SAME:    (%[[X:.*]]: tensor<10x3xf32>, %[[I:.*]]: tensor<4x1xi64>, %[[U:.*]]: tensor<4x3xf32>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<9> : tensor<4x1xi64>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<4x1xi64>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]] : tensor<4x1xi64>
// CHECK-NEXT:    %[[SAME:.*]] = stablehlo.compare EQ, %[[SAFE]], %[[I]], SIGNED
// CHECK-NEXT:    %[[TRUE:.*]] = stablehlo.constant dense<true> : tensor<i1>
// CHECK-NEXT:    %[[OK:.*]] = stablehlo.reduce(%[[SAME]] init: %[[TRUE]]) applies stablehlo.and across dimensions = [1] : (tensor<4x1xi1>, tensor<i1>) -> tensor<4xi1>
// CHECK-NEXT:    %[[OKU:.*]] = stablehlo.broadcast_in_dim %[[OK]], dims = [0] : (tensor<4xi1>) -> tensor<4x3xi1>
// CHECK-NEXT:    %[[ID:.*]] = stablehlo.constant dense<-0.000000e+00> : tensor<4x3xf32>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %[[OKU]], %[[U]], %[[ID]]
// CHECK-NEXT:    %[[R:.*]] = "stablehlo.scatter"(%[[X]], %[[SAFE]], %[[KEPT]])
// CHECK-SAME:      indices_are_sorted = false
// CHECK-SAME:      unique_indices = false
// CHECK:         stablehlo.add
// CHECK:         return %[[R]]
func.func @add_f32(%x: tensor<10x3xf32>, %i: tensor<4x1xi64>, %u: tensor<4x3xf32>) -> tensor<10x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, indices_are_sorted = true, unique_indices = true} : (tensor<10x3xf32>, tensor<4x1xi64>, tensor<4x3xf32>) -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// -----

// The identity of each recognised combiner (either operand order): 0 and -0.0
// for add, 1 for multiply, the lowest value (-inf) for maximum, the highest
// (+inf) for minimum, false/0 for or and xor, all bits set for and.

// CHECK-LABEL: func.func @add_i32
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xi32>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<0> : tensor<4x3xi32>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @add_i32(%x: tensor<10x3xi32>, %i: tensor<4x1xi32>, %u: tensor<4x3xi32>) -> tensor<10x3xi32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %s = stablehlo.add %a, %b : tensor<i32>
    stablehlo.return %s : tensor<i32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xi32>, tensor<4x1xi32>, tensor<4x3xi32>) -> tensor<10x3xi32>
  return %0 : tensor<10x3xi32>
}

// CHECK-LABEL: func.func @add_commuted
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<-0.000000e+00> : tensor<4x3xf32>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @add_commuted(%x: tensor<10x3xf32>, %i: tensor<4x1xi32>, %u: tensor<4x3xf32>) -> tensor<10x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %b, %a : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// CHECK-LABEL: func.func @multiply_f32
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<1.000000e+00> : tensor<4x3xf32>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @multiply_f32(%x: tensor<10x3xf32>, %i: tensor<4x1xi32>, %u: tensor<4x3xf32>) -> tensor<10x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.multiply %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// CHECK-LABEL: func.func @maximum_f32
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xf32>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<0xFF800000> : tensor<4x3xf32>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @maximum_f32(%x: tensor<10x3xf32>, %i: tensor<4x1xi32>, %u: tensor<4x3xf32>) -> tensor<10x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.maximum %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// CHECK-LABEL: func.func @maximum_i8
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xi8>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<-128> : tensor<4x3xi8>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @maximum_i8(%x: tensor<10x3xi8>, %i: tensor<4x1xi32>, %u: tensor<4x3xi8>) -> tensor<10x3xi8> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<i8>, %b: tensor<i8>):
    %s = stablehlo.maximum %a, %b : tensor<i8>
    stablehlo.return %s : tensor<i8>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xi8>, tensor<4x1xi32>, tensor<4x3xi8>) -> tensor<10x3xi8>
  return %0 : tensor<10x3xi8>
}

// CHECK-LABEL: func.func @minimum_ui8
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xui8>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<255> : tensor<4x3xui8>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @minimum_ui8(%x: tensor<10x3xui8>, %i: tensor<4x1xi32>, %u: tensor<4x3xui8>) -> tensor<10x3xui8> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %s = stablehlo.minimum %a, %b : tensor<ui8>
    stablehlo.return %s : tensor<ui8>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xui8>, tensor<4x1xi32>, tensor<4x3xui8>) -> tensor<10x3xui8>
  return %0 : tensor<10x3xui8>
}

// CHECK-LABEL: func.func @minimum_f16
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xf16>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<0x7C00> : tensor<4x3xf16>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @minimum_f16(%x: tensor<10x3xf16>, %i: tensor<4x1xi32>, %u: tensor<4x3xf16>) -> tensor<10x3xf16> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f16>, %b: tensor<f16>):
    %s = stablehlo.minimum %a, %b : tensor<f16>
    stablehlo.return %s : tensor<f16>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xf16>, tensor<4x1xi32>, tensor<4x3xf16>) -> tensor<10x3xf16>
  return %0 : tensor<10x3xf16>
}

// CHECK-LABEL: func.func @or_i1
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xi1>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<false> : tensor<4x3xi1>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @or_i1(%x: tensor<10x3xi1>, %i: tensor<4x1xi32>, %u: tensor<4x3xi1>) -> tensor<10x3xi1> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<i1>, %b: tensor<i1>):
    %s = stablehlo.or %a, %b : tensor<i1>
    stablehlo.return %s : tensor<i1>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xi1>, tensor<4x1xi32>, tensor<4x3xi1>) -> tensor<10x3xi1>
  return %0 : tensor<10x3xi1>
}

// CHECK-LABEL: func.func @and_ui8
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xui8>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<255> : tensor<4x3xui8>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @and_ui8(%x: tensor<10x3xui8>, %i: tensor<4x1xi32>, %u: tensor<4x3xui8>) -> tensor<10x3xui8> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %s = stablehlo.and %a, %b : tensor<ui8>
    stablehlo.return %s : tensor<ui8>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xui8>, tensor<4x1xi32>, tensor<4x3xui8>) -> tensor<10x3xui8>
  return %0 : tensor<10x3xui8>
}

// CHECK-LABEL: func.func @xor_i32
// CHECK-SAME:    %[[U:[^:]*]]: tensor<4x3xi32>)
// CHECK:         %[[ID:.*]] = stablehlo.constant dense<0> : tensor<4x3xi32>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %{{.*}}, %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%{{.*}}, %{{.*}}, %[[KEPT]])
func.func @xor_i32(%x: tensor<10x3xi32>, %i: tensor<4x1xi32>, %u: tensor<4x3xi32>) -> tensor<10x3xi32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %s = stablehlo.xor %a, %b : tensor<i32>
    stablehlo.return %s : tensor<i32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xi32>, tensor<4x1xi32>, tensor<4x3xi32>) -> tensor<10x3xi32>
  return %0 : tensor<10x3xi32>
}

// -----

// index_vector_dim == rank(indices): one implicit component, and the mask is
// the comparison itself, with nothing to reduce.

// CHECK-LABEL: func.func @implicit_vector_i16
// CHECK-SAME:    (%[[X:.*]]: tensor<10x3xi32>, %[[I:.*]]: tensor<4xi16>, %[[U:.*]]: tensor<4x3xi32>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<9> : tensor<4xi16>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<4xi16>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]] : tensor<4xi16>
// CHECK-NEXT:    %[[OK:.*]] = stablehlo.compare EQ, %[[SAFE]], %[[I]], SIGNED : (tensor<4xi16>, tensor<4xi16>) -> tensor<4xi1>
// CHECK-NEXT:    %[[OKU:.*]] = stablehlo.broadcast_in_dim %[[OK]], dims = [0] : (tensor<4xi1>) -> tensor<4x3xi1>
// CHECK-NEXT:    %[[ID:.*]] = stablehlo.constant dense<0> : tensor<4x3xi32>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %[[OKU]], %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%[[X]], %[[SAFE]], %[[KEPT]])
func.func @implicit_vector_i16(%x: tensor<10x3xi32>, %i: tensor<4xi16>, %u: tensor<4x3xi32>) -> tensor<10x3xi32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %s = stablehlo.add %a, %b : tensor<i32>
    stablehlo.return %s : tensor<i32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xi32>, tensor<4xi16>, tensor<4x3xi32>) -> tensor<10x3xi32>
  return %0 : tensor<10x3xi32>
}

// -----

// A window that spans scattered dimensions (2x3 in a 10x6 operand) is in
// bounds only whole: starts up to [10 - 2, 6 - 3].

// CHECK-LABEL: func.func @partial_window
// CHECK-SAME:    (%[[X:.*]]: tensor<10x6xf32>, %[[I:.*]]: tensor<4x2xi32>, %[[U:.*]]: tensor<4x2x3xf32>)
// CHECK-NEXT:    %[[VEC:.*]] = stablehlo.constant dense<[8, 3]> : tensor<2xi32>
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.broadcast_in_dim %[[VEC]], dims = [1] : (tensor<2xi32>) -> tensor<4x2xi32>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<4x2xi32>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]]
// CHECK-NEXT:    %[[SAME:.*]] = stablehlo.compare EQ, %[[SAFE]], %[[I]], SIGNED
// CHECK-NEXT:    %[[TRUE:.*]] = stablehlo.constant dense<true> : tensor<i1>
// CHECK-NEXT:    %[[OK:.*]] = stablehlo.reduce(%[[SAME]] init: %[[TRUE]]) applies stablehlo.and across dimensions = [1] : (tensor<4x2xi1>, tensor<i1>) -> tensor<4xi1>
// CHECK-NEXT:    %[[OKU:.*]] = stablehlo.broadcast_in_dim %[[OK]], dims = [0] : (tensor<4xi1>) -> tensor<4x2x3xi1>
// CHECK-NEXT:    %[[ID:.*]] = stablehlo.constant dense<-0.000000e+00> : tensor<4x2x3xf32>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %[[OKU]], %[[U]], %[[ID]]
// Then, for IREE, each 2x3 window becomes six index vectors, start + [0..1, 0..2].
// CHECK-NEXT:    %[[WIDE:.*]] = stablehlo.convert %[[SAFE]] : (tensor<4x2xi32>) -> tensor<4x2xi64>
// CHECK-NEXT:    %[[FLAT:.*]] = stablehlo.reshape %[[KEPT]] : (tensor<4x2x3xf32>) -> tensor<24xf32>
// CHECK-NEXT:    %[[STEPS:.*]] = stablehlo.constant dense<[0, 0, 0, 1, 0, 2, 1, 0, 1, 1, 1, 2]> : tensor<12xi64>
// CHECK-NEXT:    %[[TABLE:.*]] = stablehlo.reshape %[[STEPS]] : (tensor<12xi64>) -> tensor<6x2xi64>
// CHECK-NEXT:    %[[STARTS:.*]] = stablehlo.broadcast_in_dim %[[WIDE]], dims = [0, 2] : (tensor<4x2xi64>) -> tensor<4x6x2xi64>
// CHECK-NEXT:    %[[OFFSETS:.*]] = stablehlo.broadcast_in_dim %[[TABLE]], dims = [1, 2] : (tensor<6x2xi64>) -> tensor<4x6x2xi64>
// CHECK-NEXT:    %[[SUM:.*]] = stablehlo.add %[[STARTS]], %[[OFFSETS]] : tensor<4x6x2xi64>
// CHECK-NEXT:    %[[EACH:.*]] = stablehlo.reshape %[[SUM]] : (tensor<4x6x2xi64>) -> tensor<24x2xi64>
// CHECK-NEXT:    "stablehlo.scatter"(%[[X]], %[[EACH]], %[[FLAT]])
// CHECK-SAME:      scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0, 1], scatter_dims_to_operand_dims = [0, 1], index_vector_dim = 1>
func.func @partial_window(%x: tensor<10x6xf32>, %i: tensor<4x2xi32>, %u: tensor<4x2x3xf32>) -> tensor<10x6xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1, 2], scatter_dims_to_operand_dims = [0, 1], index_vector_dim = 1>} : (tensor<10x6xf32>, tensor<4x2xi32>, tensor<4x2x3xf32>) -> tensor<10x6xf32>
  return %0 : tensor<10x6xf32>
}

// -----

// Batching dimensions index by position and are always in bounds: only the
// scattered component (operand dim 1) is bounded, and the mask goes to the
// updates' scatter dims [0, 1].

// CHECK-LABEL: func.func @batching
// CHECK-SAME:    (%[[X:.*]]: tensor<3x10x4xf32>, %[[I:.*]]: tensor<3x5x1xi32>, %[[U:.*]]: tensor<3x5x4xf32>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<9> : tensor<3x5x1xi32>
// CHECK:         %[[OK:.*]] = stablehlo.reduce(%{{.*}} init: %{{.*}}) applies stablehlo.and across dimensions = [2] : (tensor<3x5x1xi1>, tensor<i1>) -> tensor<3x5xi1>
// CHECK-NEXT:    %[[OKU:.*]] = stablehlo.broadcast_in_dim %[[OK]], dims = [0, 1] : (tensor<3x5xi1>) -> tensor<3x5x4xi1>
// CHECK-NEXT:    %[[ID:.*]] = stablehlo.constant dense<-0.000000e+00> : tensor<3x5x4xf32>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.select %[[OKU]], %[[U]], %[[ID]]
// CHECK-NEXT:    "stablehlo.scatter"(%[[X]], %{{.*}}, %[[KEPT]])
// CHECK-SAME:      input_batching_dims = [0], scatter_indices_batching_dims = [0]
func.func @batching(%x: tensor<3x10x4xf32>, %i: tensor<3x5x1xi32>, %u: tensor<3x5x4xf32>) -> tensor<3x10x4xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [2], inserted_window_dims = [1], input_batching_dims = [0], scatter_indices_batching_dims = [0], scatter_dims_to_operand_dims = [1], index_vector_dim = 2>} : (tensor<3x10x4xf32>, tensor<3x5x1xi32>, tensor<3x5x4xf32>) -> tensor<3x10x4xf32>
  return %0 : tensor<3x10x4xf32>
}

// -----

// General path (here: replace, which has no identity). The operand is padded
// along d0 = scatter_dims_to_operand_dims[0] by the window's extent there;
// out-of-bounds index vectors are redirected to [dim(d0), 0, ...], inside the
// padding; the padding is sliced off the result.

// CHECK-LABEL: func.func @replace
// CHECK-SAME:    (%[[X:.*]]: tensor<10x3xf32>, %[[I:.*]]: tensor<4x1xi32>, %[[U:.*]]: tensor<4x3xf32>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<9> : tensor<4x1xi32>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.constant dense<0> : tensor<4x1xi32>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.clamp %[[LOW]], %[[I]], %[[HIGH]]
// CHECK-NEXT:    %[[SAME:.*]] = stablehlo.compare EQ, %[[SAFE]], %[[I]], SIGNED
// CHECK-NEXT:    %[[TRUE:.*]] = stablehlo.constant dense<true> : tensor<i1>
// CHECK-NEXT:    %[[OK:.*]] = stablehlo.reduce(%[[SAME]] init: %[[TRUE]]) applies stablehlo.and across dimensions = [1]
// CHECK-NEXT:    %[[PADDING:.*]] = stablehlo.constant dense<10> : tensor<4x1xi32>
// CHECK-NEXT:    %[[OKI:.*]] = stablehlo.broadcast_in_dim %[[OK]], dims = [0] : (tensor<4xi1>) -> tensor<4x1xi1>
// CHECK-NEXT:    %[[TO:.*]] = stablehlo.select %[[OKI]], %[[I]], %[[PADDING]]
// CHECK-NEXT:    %[[ZERO:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[PADDED:.*]] = stablehlo.pad %[[X]], %[[ZERO]], low = [0, 0], high = [1, 0], interior = [0, 0] : (tensor<10x3xf32>, tensor<f32>) -> tensor<11x3xf32>
// CHECK-NEXT:    %[[S:.*]] = "stablehlo.scatter"(%[[PADDED]], %[[TO]], %[[U]])
// CHECK-SAME:      indices_are_sorted = false
// CHECK-SAME:      unique_indices = false
// CHECK:         stablehlo.return %{{.*}} : tensor<f32>
// CHECK-NEXT:    }) : (tensor<11x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<11x3xf32>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.slice %[[S]] [0:10, 0:3] : (tensor<11x3xf32>) -> tensor<10x3xf32>
// CHECK-NEXT:    return %[[R]]
func.func @replace(%x: tensor<10x3xf32>, %i: tensor<4x1xi32>, %u: tensor<4x3xf32>) -> tensor<10x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, unique_indices = true} : (tensor<10x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// -----

// The redirect target (200) does not fit in i8: the indices are converted to
// i32 after the mask is computed on their own type (bound 199 saturates to 127).

// CHECK-LABEL: func.func @replace_i8
// CHECK-SAME:    (%[[X:.*]]: tensor<200x3xf32>, %[[I:.*]]: tensor<4x1xi8>, %[[U:.*]]: tensor<4x3xf32>)
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.constant dense<127> : tensor<4x1xi8>
// CHECK:         %[[OK:.*]] = stablehlo.reduce
// CHECK-NEXT:    %[[WIDE:.*]] = stablehlo.convert %[[I]] : (tensor<4x1xi8>) -> tensor<4x1xi32>
// CHECK-NEXT:    %[[PADDING:.*]] = stablehlo.constant dense<200> : tensor<4x1xi32>
// CHECK-NEXT:    %[[OKI:.*]] = stablehlo.broadcast_in_dim %[[OK]]
// CHECK-NEXT:    %[[TO:.*]] = stablehlo.select %[[OKI]], %[[WIDE]], %[[PADDING]] : tensor<4x1xi1>, tensor<4x1xi32>
// CHECK:         "stablehlo.scatter"(%{{.*}}, %[[TO]], %[[U]])
// CHECK:         (tensor<201x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<201x3xf32>
func.func @replace_i8(%x: tensor<200x3xf32>, %i: tensor<4x1xi8>, %u: tensor<4x3xf32>) -> tensor<200x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<200x3xf32>, tensor<4x1xi8>, tensor<4x3xf32>) -> tensor<200x3xf32>
  return %0 : tensor<200x3xf32>
}

// -----

// Several components, index_vector_dim first, d0 = operand dim 1: the
// target is [6, 0] along dim 0, and the mask goes along dim 1.

// CHECK-LABEL: func.func @replace_vector_first
// CHECK-SAME:    (%[[X:.*]]: tensor<10x6xf32>, %[[I:.*]]: tensor<2x4xi32>, %[[U:.*]]: tensor<4xf32>)
// CHECK-NEXT:    %[[VEC:.*]] = stablehlo.constant dense<[5, 9]> : tensor<2xi32>
// CHECK:         %[[OK:.*]] = stablehlo.reduce(%{{.*}} init: %{{.*}}) applies stablehlo.and across dimensions = [0] : (tensor<2x4xi1>, tensor<i1>) -> tensor<4xi1>
// CHECK-NEXT:    %[[TARGET:.*]] = stablehlo.constant dense<[6, 0]> : tensor<2xi32>
// CHECK-NEXT:    %[[PADDING:.*]] = stablehlo.broadcast_in_dim %[[TARGET]], dims = [0] : (tensor<2xi32>) -> tensor<2x4xi32>
// CHECK-NEXT:    %[[OKI:.*]] = stablehlo.broadcast_in_dim %[[OK]], dims = [1] : (tensor<4xi1>) -> tensor<2x4xi1>
// CHECK-NEXT:    %[[TO:.*]] = stablehlo.select %[[OKI]], %[[I]], %[[PADDING]]
// CHECK-NEXT:    %[[ZERO:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[PADDED:.*]] = stablehlo.pad %[[X]], %[[ZERO]], low = [0, 0], high = [0, 1], interior = [0, 0] : (tensor<10x6xf32>, tensor<f32>) -> tensor<10x7xf32>
// CHECK-NEXT:    %[[S:.*]] = "stablehlo.scatter"(%[[PADDED]], %[[TO]], %[[U]])
// CHECK:         stablehlo.slice %[[S]] [0:10, 0:6] : (tensor<10x7xf32>) -> tensor<10x6xf32>
func.func @replace_vector_first(%x: tensor<10x6xf32>, %i: tensor<2x4xi32>, %u: tensor<4xf32>) -> tensor<10x6xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0, 1], scatter_dims_to_operand_dims = [1, 0], index_vector_dim = 0>} : (tensor<10x6xf32>, tensor<2x4xi32>, tensor<4xf32>) -> tensor<10x6xf32>
  return %0 : tensor<10x6xf32>
}

// -----

// A variadic scatter takes the general path: every input is padded, every
// result sliced.

// CHECK-LABEL: func.func @variadic
// CHECK-SAME:    (%[[X:.*]]: tensor<10x3xf32>, %[[Y:.*]]: tensor<10x3xi32>, %[[I:.*]]: tensor<4x1xi64>, %[[U:.*]]: tensor<4x3xf32>, %[[V:.*]]: tensor<4x3xi32>)
// CHECK:         %[[TO:.*]] = stablehlo.select %{{.*}}, %[[I]], %{{.*}} : tensor<4x1xi1>, tensor<4x1xi64>
// CHECK-NEXT:    %[[ZX:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[PX:.*]] = stablehlo.pad %[[X]], %[[ZX]], low = [0, 0], high = [1, 0]
// CHECK-NEXT:    %[[ZY:.*]] = stablehlo.constant dense<0> : tensor<i32>
// CHECK-NEXT:    %[[PY:.*]] = stablehlo.pad %[[Y]], %[[ZY]], low = [0, 0], high = [1, 0]
// CHECK-NEXT:    %[[S:.*]]:2 = "stablehlo.scatter"(%[[PX]], %[[PY]], %[[TO]], %[[U]], %[[V]])
// CHECK:         %[[R0:.*]] = stablehlo.slice %[[S]]#0 [0:10, 0:3]
// CHECK-NEXT:    %[[R1:.*]] = stablehlo.slice %[[S]]#1 [0:10, 0:3]
// CHECK-NEXT:    return %[[R0]], %[[R1]]
func.func @variadic(%x: tensor<10x3xf32>, %y: tensor<10x3xi32>, %i: tensor<4x1xi64>, %u: tensor<4x3xf32>, %v: tensor<4x3xi32>) -> (tensor<10x3xf32>, tensor<10x3xi32>) {
  %0:2 = "stablehlo.scatter"(%x, %y, %i, %u, %v) ({
  ^bb0(%a: tensor<f32>, %b: tensor<i32>, %c: tensor<f32>, %d: tensor<i32>):
    %s = stablehlo.add %a, %c : tensor<f32>
    %m = stablehlo.maximum %b, %d : tensor<i32>
    stablehlo.return %s, %m : tensor<f32>, tensor<i32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xf32>, tensor<10x3xi32>, tensor<4x1xi64>, tensor<4x3xf32>, tensor<4x3xi32>) -> (tensor<10x3xf32>, tensor<10x3xi32>)
  return %0#0, %0#1 : tensor<10x3xf32>, tensor<10x3xi32>
}

// -----

// Combiners with an identity, but no fast path: a computation on a promoted
// type (f32 updates added as f64; the results are f64), a float type without
// infinities (f8E4M3FN: maximum has no identity), and complex add (the
// padding value is a converted real zero).

// CHECK-LABEL: func.func @promoted
// CHECK:         stablehlo.pad
// CHECK:         "stablehlo.scatter"
// CHECK:         (tensor<11x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<11x3xf64>
// CHECK-NEXT:    stablehlo.slice %{{.*}} [0:10, 0:3] : (tensor<11x3xf64>) -> tensor<10x3xf64>
func.func @promoted(%x: tensor<10x3xf32>, %i: tensor<4x1xi32>, %u: tensor<4x3xf32>) -> tensor<10x3xf64> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f64>, %b: tensor<f64>):
    %s = stablehlo.add %a, %b : tensor<f64>
    stablehlo.return %s : tensor<f64>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<10x3xf64>
  return %0 : tensor<10x3xf64>
}

// CHECK-LABEL: func.func @f8_maximum
// CHECK:         %[[ZERO:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<f8E4M3FN>
// CHECK-NEXT:    stablehlo.pad %{{.*}}, %[[ZERO]]
func.func @f8_maximum(%x: tensor<10x3xf8E4M3FN>, %i: tensor<4x1xi32>, %u: tensor<4x3xf8E4M3FN>) -> tensor<10x3xf8E4M3FN> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f8E4M3FN>, %b: tensor<f8E4M3FN>):
    %s = stablehlo.maximum %a, %b : tensor<f8E4M3FN>
    stablehlo.return %s : tensor<f8E4M3FN>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xf8E4M3FN>, tensor<4x1xi32>, tensor<4x3xf8E4M3FN>) -> tensor<10x3xf8E4M3FN>
  return %0 : tensor<10x3xf8E4M3FN>
}

// CHECK-LABEL: func.func @complex_add
// CHECK:         %[[REAL:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[ZERO:.*]] = stablehlo.convert %[[REAL]] : (tensor<f32>) -> tensor<complex<f32>>
// CHECK-NEXT:    stablehlo.pad %{{.*}}, %[[ZERO]]
func.func @complex_add(%x: tensor<10x3xcomplex<f32>>, %i: tensor<4x1xi32>, %u: tensor<4x3xcomplex<f32>>) -> tensor<10x3xcomplex<f32>> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<complex<f32>>, %b: tensor<complex<f32>>):
    %s = stablehlo.add %a, %b : tensor<complex<f32>>
    stablehlo.return %s : tensor<complex<f32>>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3xcomplex<f32>>, tensor<4x1xi32>, tensor<4x3xcomplex<f32>>) -> tensor<10x3xcomplex<f32>>
  return %0 : tensor<10x3xcomplex<f32>>
}

// -----

// An operand that is empty along an inserted dimension has room for no
// window: every update is dropped, and the result is the operand.

// CHECK-LABEL: func.func @empty_operand
// CHECK-SAME:    (%[[X:.*]]: tensor<0x3xf32>,
// CHECK-NEXT:    return %[[X]]
func.func @empty_operand(%x: tensor<0x3xf32>, %i: tensor<4x1xi32>, %u: tensor<4x3xf32>) -> tensor<0x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<0x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<0x3xf32>
  return %0 : tensor<0x3xf32>
}

// -----

// No scattered components: every window starts at 0 and fits; only the
// promises go.

// CHECK-LABEL: func.func @no_components
// CHECK-SAME:    (%[[X:.*]]: tensor<10x3xf32>, %[[I:.*]]: tensor<4x0xi32>, %[[U:.*]]: tensor<4x10x3xf32>)
// CHECK-NEXT:    "stablehlo.scatter"(%[[X]], %[[I]], %[[U]])
// CHECK-SAME:      indices_are_sorted = false
// CHECK-SAME:      unique_indices = false
func.func @no_components(%x: tensor<10x3xf32>, %i: tensor<4x0xi32>, %u: tensor<4x10x3xf32>) -> tensor<10x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1, 2], index_vector_dim = 1>, unique_indices = true} : (tensor<10x3xf32>, tensor<4x0xi32>, tensor<4x10x3xf32>) -> tensor<10x3xf32>
  return %0 : tensor<10x3xf32>
}

// -----

// A module without scatters is unchanged.

// CHECK-LABEL: func.func @no_scatter
// CHECK-NEXT:    stablehlo.add
// CHECK-NEXT:    return
func.func @no_scatter(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.add %x, %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Dynamic shapes have no constant bounds.

// CHECK: sandbox-scatter.mlir:[[# @LINE + 2]]:8: error: the sandbox does not support scatter on dynamic shapes; give the operands static shapes
func.func @dynamic(%x: tensor<?x3xf32>, %i: tensor<4x1xi32>, %u: tensor<4x3xf32>) -> tensor<?x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<?x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// The general path needs a padding value, which a quantized type does not
// have (the profile rejects quantized types before this pass runs).

// CHECK: sandbox-scatter.mlir:[[# @LINE + 2]]:8: error: the sandbox does not support scatter on !quant.uniform<i8:f32, 5.000000e-01>
func.func @quantized(%x: tensor<10x3x!quant.uniform<i8:f32, 0.5>>, %i: tensor<4x1xi32>, %u: tensor<4x3x!quant.uniform<i8:f32, 0.5>>) -> tensor<10x3x!quant.uniform<i8:f32, 0.5>> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<!quant.uniform<i8:f32, 0.5>>, %b: tensor<!quant.uniform<i8:f32, 0.5>>):
    stablehlo.return %b : tensor<!quant.uniform<i8:f32, 0.5>>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>} : (tensor<10x3x!quant.uniform<i8:f32, 0.5>>, tensor<4x1xi32>, tensor<4x3x!quant.uniform<i8:f32, 0.5>>) -> tensor<10x3x!quant.uniform<i8:f32, 0.5>>
  return %0 : tensor<10x3x!quant.uniform<i8:f32, 0.5>>
}

// -----

// Inserted window dims after a window dim (operand dim 0 is the window, dims
// 1 and 2 are indexed): the operand is transposed so that they lead, as
// IREE's lowering needs, and the result transposed back.

// CHECK-LABEL: func.func @inserted_after_window
// CHECK-SAME:    (%[[X:.*]]: tensor<4x2x3xf32>, %[[I:.*]]: tensor<2xi64>, %[[U:.*]]: tensor<4xf32>)
// CHECK:         %[[SAFE:.*]] = stablehlo.clamp
// CHECK:         %[[KEPT:.*]] = stablehlo.select
// CHECK:         %[[VEC:.*]] = stablehlo.reshape %[[SAFE]] : (tensor<2xi64>) -> tensor<1x2xi64>
// CHECK:         %[[ROW:.*]] = stablehlo.reshape %[[KEPT]] : (tensor<4xf32>) -> tensor<1x4xf32>
// CHECK-NEXT:    %[[T:.*]] = stablehlo.transpose %[[X]], dims = [1, 2, 0] : (tensor<4x2x3xf32>) -> tensor<2x3x4xf32>
// CHECK-NEXT:    %[[S:.*]] = "stablehlo.scatter"(%[[T]], %[[VEC]], %[[ROW]])
// CHECK-SAME:      scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0, 1], scatter_dims_to_operand_dims = [0, 1], index_vector_dim = 1>
// CHECK:         %[[R:.*]] = stablehlo.transpose %[[S]], dims = [2, 0, 1] : (tensor<2x3x4xf32>) -> tensor<4x2x3xf32>
// CHECK-NEXT:    return %[[R]]
func.func @inserted_after_window(%x: tensor<4x2x3xf32>, %i: tensor<2xi64>, %u: tensor<4xf32>) -> tensor<4x2x3xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0], inserted_window_dims = [1, 2], scatter_dims_to_operand_dims = [1, 2]>} : (tensor<4x2x3xf32>, tensor<2xi64>, tensor<4xf32>) -> tensor<4x2x3xf32>
  return %0 : tensor<4x2x3xf32>
}
