// RUN: webtensor-opt %s -p webtensor-round-bf16 --split-input-file | filecheck %s

// From f32: reduce_precision to bfloat16's 8 exponent and 7 mantissa bits,
// then the convert, now exact.

// CHECK-LABEL: func.func @from_f32
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT:    %[[ROUNDED:.*]] = stablehlo.reduce_precision %[[X]], format = e8m7 : tensor<4xf32>
// CHECK-NEXT:    %[[BF:.*]] = stablehlo.convert %[[ROUNDED]] : (tensor<4xf32>) -> tensor<4xbf16>
// CHECK-NEXT:    return %[[BF]]
func.func @from_f32(%x: tensor<4xf32>) -> tensor<4xbf16> {
  %0 = stablehlo.convert %x : (tensor<4xf32>) -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

// From f16, f64 and integers: through f32 first (from f64 and i32 that
// rounds twice, as XLA does). From a complex: its real part.

// CHECK-LABEL: func.func @through_f32
// CHECK-SAME:    (%[[H:.*]]: tensor<2xf16>, %[[D:.*]]: tensor<2xf64>, %[[I:.*]]: tensor<2xi32>, %[[C:.*]]: tensor<2xcomplex<f32>>)
// CHECK-NEXT:    %[[H_WIDE:.*]] = stablehlo.convert %[[H]] : (tensor<2xf16>) -> tensor<2xf32>
// CHECK-NEXT:    %[[H_ROUNDED:.*]] = stablehlo.reduce_precision %[[H_WIDE]], format = e8m7 : tensor<2xf32>
// CHECK-NEXT:    %[[H_BF:.*]] = stablehlo.convert %[[H_ROUNDED]] : (tensor<2xf32>) -> tensor<2xbf16>
// CHECK-NEXT:    %[[D_SINGLE:.*]] = stablehlo.convert %[[D]] : (tensor<2xf64>) -> tensor<2xf32>
// CHECK-NEXT:    %[[D_ROUNDED:.*]] = stablehlo.reduce_precision %[[D_SINGLE]], format = e8m7 : tensor<2xf32>
// CHECK-NEXT:    %[[D_BF:.*]] = stablehlo.convert %[[D_ROUNDED]] : (tensor<2xf32>) -> tensor<2xbf16>
// CHECK-NEXT:    %[[I_FLOAT:.*]] = stablehlo.convert %[[I]] : (tensor<2xi32>) -> tensor<2xf32>
// CHECK-NEXT:    %[[I_ROUNDED:.*]] = stablehlo.reduce_precision %[[I_FLOAT]], format = e8m7 : tensor<2xf32>
// CHECK-NEXT:    %[[I_BF:.*]] = stablehlo.convert %[[I_ROUNDED]] : (tensor<2xf32>) -> tensor<2xbf16>
// CHECK-NEXT:    %[[C_REAL:.*]] = stablehlo.real %[[C]] : (tensor<2xcomplex<f32>>) -> tensor<2xf32>
// CHECK-NEXT:    %[[C_ROUNDED:.*]] = stablehlo.reduce_precision %[[C_REAL]], format = e8m7 : tensor<2xf32>
// CHECK-NEXT:    %[[C_BF:.*]] = stablehlo.convert %[[C_ROUNDED]] : (tensor<2xf32>) -> tensor<2xbf16>
// CHECK-NEXT:    return %[[H_BF]], %[[D_BF]], %[[I_BF]], %[[C_BF]]
func.func @through_f32(%h: tensor<2xf16>, %d: tensor<2xf64>, %i: tensor<2xi32>, %c: tensor<2xcomplex<f32>>)
    -> (tensor<2xbf16>, tensor<2xbf16>, tensor<2xbf16>, tensor<2xbf16>) {
  %0 = stablehlo.convert %h : (tensor<2xf16>) -> tensor<2xbf16>
  %1 = stablehlo.convert %d : (tensor<2xf64>) -> tensor<2xbf16>
  %2 = stablehlo.convert %i : (tensor<2xi32>) -> tensor<2xbf16>
  %3 = stablehlo.convert %c : (tensor<2xcomplex<f32>>) -> tensor<2xbf16>
  return %0, %1, %2, %3 : tensor<2xbf16>, tensor<2xbf16>, tensor<2xbf16>, tensor<2xbf16>
}

// -----

// A bfloat16 op computes in f32 and rounds its result, as a convert to
// bfloat16 does; a compare's i1 result needs no rounding.

// CHECK-LABEL: func.func @arithmetic
// CHECK-SAME:    (%[[A:.*]]: tensor<3xbf16>, %[[B:.*]]: tensor<3xbf16>)
// CHECK-NEXT:    %[[A_WIDE:.*]] = stablehlo.convert %[[A]] : (tensor<3xbf16>) -> tensor<3xf32>
// CHECK-NEXT:    %[[B_WIDE:.*]] = stablehlo.convert %[[B]] : (tensor<3xbf16>) -> tensor<3xf32>
// CHECK-NEXT:    %[[PRODUCT:.*]] = stablehlo.multiply %[[A_WIDE]], %[[B_WIDE]] : tensor<3xf32>
// CHECK-NEXT:    %[[ROUNDED:.*]] = stablehlo.reduce_precision %[[PRODUCT]], format = e8m7 : tensor<3xf32>
// CHECK-NEXT:    %[[NARROW:.*]] = stablehlo.convert %[[ROUNDED]] : (tensor<3xf32>) -> tensor<3xbf16>
// CHECK:         %[[LT:.*]] = stablehlo.compare LT, %{{.*}}, %{{.*}}, FLOAT : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
// CHECK-NEXT:    %[[WIDE:.*]] = stablehlo.convert %[[NARROW]] : (tensor<3xbf16>) -> tensor<3xf16>
// CHECK-NEXT:    return %[[WIDE]], %[[LT]]
func.func @arithmetic(%a: tensor<3xbf16>, %b: tensor<3xbf16>) -> (tensor<3xf16>, tensor<3xi1>) {
  %0 = stablehlo.multiply %a, %b : tensor<3xbf16>
  %1 = stablehlo.compare LT, %0, %b, FLOAT : (tensor<3xbf16>, tensor<3xbf16>) -> tensor<3xi1>
  %2 = stablehlo.convert %0 : (tensor<3xbf16>) -> tensor<3xf16>
  return %2, %1 : tensor<3xf16>, tensor<3xi1>
}

// -----

// Inside a region: the reduction keeps its bfloat16 accumulator, its body's
// add computes in f32 and rounds, and a convert in the body rounds too.

// CHECK-LABEL: func.func @in_region
// CHECK:         stablehlo.reduce(%{{.*}} init: %{{.*}}) across dimensions = [0] : (tensor<8xbf16>, tensor<bf16>) -> tensor<bf16>
// CHECK-NEXT:    reducer(%[[L:.*]]: tensor<bf16>, %[[R:.*]]: tensor<bf16>)
// CHECK:         %[[SUM:.*]] = stablehlo.add %{{.*}}, %{{.*}} : tensor<f32>
// CHECK-NEXT:    %[[SUM_ROUNDED:.*]] = stablehlo.reduce_precision %[[SUM]], format = e8m7 : tensor<f32>
// CHECK-NEXT:    %[[SUM_BF:.*]] = stablehlo.convert %[[SUM_ROUNDED]] : (tensor<f32>) -> tensor<bf16>
// CHECK:         stablehlo.return %[[SUM_BF]] : tensor<bf16>
// CHECK:         stablehlo.while
// CHECK:         %[[STEP:.*]] = stablehlo.reduce_precision %{{.*}}, format = e8m7 : tensor<f32>
// CHECK-NEXT:    %[[STEP_BF:.*]] = stablehlo.convert %[[STEP]] : (tensor<f32>) -> tensor<bf16>
// CHECK-NEXT:    stablehlo.return %{{.*}}, %[[STEP_BF]]
func.func @in_region(%x: tensor<8xbf16>, %init: tensor<bf16>, %f: tensor<f32>) -> (tensor<bf16>, tensor<bf16>) {
  %0 = stablehlo.reduce(%x init: %init) applies stablehlo.add across dimensions = [0] : (tensor<8xbf16>, tensor<bf16>) -> tensor<bf16>
  %c0 = stablehlo.constant dense<0> : tensor<i32>
  %1:2 = stablehlo.while(%i = %c0, %y = %init) : tensor<i32>, tensor<bf16>
    cond {
      %c4 = stablehlo.constant dense<4> : tensor<i32>
      %lt = stablehlo.compare LT, %i, %c4 : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %lt : tensor<i1>
    } do {
      %c1 = stablehlo.constant dense<1> : tensor<i32>
      %next = stablehlo.add %i, %c1 : tensor<i32>
      %step = stablehlo.convert %f : (tensor<f32>) -> tensor<bf16>
      stablehlo.return %next, %step : tensor<i32>, tensor<bf16>
    }
  return %0, %1#1 : tensor<bf16>, tensor<bf16>
}

// -----

// Converts from bfloat16, to other types, and data movement of bfloat16
// stay as they are.

// CHECK-LABEL: func.func @unchanged
// CHECK-SAME:    (%[[B:.*]]: tensor<2x3xbf16>, %[[F:.*]]: tensor<2xf32>)
// CHECK-NEXT:    %[[T:.*]] = stablehlo.transpose %[[B]], dims = [1, 0] : (tensor<2x3xbf16>) -> tensor<3x2xbf16>
// CHECK-NEXT:    %[[WIDE:.*]] = stablehlo.convert %[[T]] : (tensor<3x2xbf16>) -> tensor<3x2xf32>
// CHECK-NEXT:    %[[HALF:.*]] = stablehlo.convert %[[F]] : (tensor<2xf32>) -> tensor<2xf16>
// CHECK-NEXT:    %[[DOUBLE:.*]] = stablehlo.convert %[[F]] : (tensor<2xf32>) -> tensor<2xf64>
// CHECK-NEXT:    return %[[WIDE]], %[[HALF]], %[[DOUBLE]]
func.func @unchanged(%b: tensor<2x3xbf16>, %f: tensor<2xf32>) -> (tensor<3x2xf32>, tensor<2xf16>, tensor<2xf64>) {
  %0 = stablehlo.transpose %b, dims = [1, 0] : (tensor<2x3xbf16>) -> tensor<3x2xbf16>
  %1 = stablehlo.convert %0 : (tensor<3x2xbf16>) -> tensor<3x2xf32>
  %2 = stablehlo.convert %f : (tensor<2xf32>) -> tensor<2xf16>
  %3 = stablehlo.convert %f : (tensor<2xf32>) -> tensor<2xf64>
  return %1, %2, %3 : tensor<3x2xf32>, tensor<2xf16>, tensor<2xf64>
}

// -----

// A scatter's combiner stays on bfloat16: IREE lowers it only on the
// operand's element type, and it writes each update to memory, so no
// rounding is dropped there.

// CHECK-LABEL: func.func @scatter_combiner
// CHECK:         ^bb0(%[[X:.*]]: tensor<bf16>, %[[Y:.*]]: tensor<bf16>):
// CHECK-NEXT:      %[[SUM:.*]] = stablehlo.add %[[X]], %[[Y]] : tensor<bf16>
// CHECK-NEXT:      stablehlo.return %[[SUM]] : tensor<bf16>
func.func @scatter_combiner(%operand: tensor<6xbf16>, %indices: tensor<2x1xi32>, %updates: tensor<2xbf16>) -> tensor<6xbf16> {
  %0 = "stablehlo.scatter"(%operand, %indices, %updates) ({
  ^bb0(%x: tensor<bf16>, %y: tensor<bf16>):
    %sum = stablehlo.add %x, %y : tensor<bf16>
    stablehlo.return %sum : tensor<bf16>
  }) {scatter_dimension_numbers = #stablehlo.scatter<inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, indices_are_sorted = false, unique_indices = false} : (tensor<6xbf16>, tensor<2x1xi32>, tensor<2xbf16>) -> tensor<6xbf16>
  return %0 : tensor<6xbf16>
}
