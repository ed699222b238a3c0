// RUN: webtensor-opt %s -p webtensor-sandbox-dynamic-slice --split-input-file --verify-diagnostics | filecheck %s

// Each start index is clamped into [0, dim - slice size], as the spec says,
// rather than trusting the backend to do it.

// CHECK-LABEL: func.func @slice
// CHECK-SAME:    (%[[X:.*]]: tensor<10x6xf32>, %[[I:.*]]: tensor<i32>, %[[J:.*]]: tensor<i32>)
// CHECK-NEXT:    %[[HI:.*]] = stablehlo.constant dense<8> : tensor<i32>
// CHECK-NEXT:    %[[LO:.*]] = stablehlo.constant dense<0> : tensor<i32>
// CHECK-NEXT:    %[[SI:.*]] = stablehlo.clamp %[[LO]], %[[I]], %[[HI]] : tensor<i32>
// CHECK-NEXT:    %[[HJ:.*]] = stablehlo.constant dense<3> : tensor<i32>
// CHECK-NEXT:    %[[LJ:.*]] = stablehlo.constant dense<0> : tensor<i32>
// CHECK-NEXT:    %[[SJ:.*]] = stablehlo.clamp %[[LJ]], %[[J]], %[[HJ]] : tensor<i32>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.dynamic_slice %[[X]], %[[SI]], %[[SJ]], sizes = [2, 3]
// CHECK-NEXT:    return %[[R]]
func.func @slice(%x: tensor<10x6xf32>, %i: tensor<i32>, %j: tensor<i32>) -> tensor<2x3xf32> {
  %0 = stablehlo.dynamic_slice %x, %i, %j, sizes = [2, 3] : (tensor<10x6xf32>, tensor<i32>, tensor<i32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// dynamic_update_slice: the bounds come from the update's shape. i64 indices
// are clamped on their full value.

// CHECK-LABEL: func.func @update
// CHECK-SAME:    (%[[X:.*]]: tensor<10x6xf32>, %[[U:.*]]: tensor<4x6xf32>, %[[I:.*]]: tensor<i64>, %[[J:.*]]: tensor<i64>)
// CHECK-NEXT:    %[[HI:.*]] = stablehlo.constant dense<6> : tensor<i64>
// CHECK-NEXT:    %[[LO:.*]] = stablehlo.constant dense<0> : tensor<i64>
// CHECK-NEXT:    %[[SI:.*]] = stablehlo.clamp %[[LO]], %[[I]], %[[HI]] : tensor<i64>
// CHECK-NEXT:    %[[HJ:.*]] = stablehlo.constant dense<0> : tensor<i64>
// CHECK-NEXT:    %[[LJ:.*]] = stablehlo.constant dense<0> : tensor<i64>
// CHECK-NEXT:    %[[SJ:.*]] = stablehlo.clamp %[[LJ]], %[[J]], %[[HJ]] : tensor<i64>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.dynamic_update_slice %[[X]], %[[U]], %[[SI]], %[[SJ]]
// CHECK-NEXT:    return %[[R]]
func.func @update(%x: tensor<10x6xf32>, %u: tensor<4x6xf32>, %i: tensor<i64>, %j: tensor<i64>) -> tensor<10x6xf32> {
  %0 = stablehlo.dynamic_update_slice %x, %u, %i, %j : (tensor<10x6xf32>, tensor<4x6xf32>, tensor<i64>, tensor<i64>) -> tensor<10x6xf32>
  return %0 : tensor<10x6xf32>
}

// -----

// A bound beyond the index type's range saturates to its largest value
// (999 and 299 as i8: 127; as ui8: 255): every value of the type is then in
// bounds on that side.

// CHECK-LABEL: func.func @saturated
// CHECK-NEXT:    %[[HI:.*]] = stablehlo.constant dense<127> : tensor<i8>
// CHECK-NEXT:    stablehlo.constant dense<0> : tensor<i8>
// CHECK-NEXT:    stablehlo.clamp %{{.*}}, %{{.*}}, %[[HI]] : tensor<i8>
// CHECK-NEXT:    stablehlo.constant dense<127> : tensor<i8>
// CHECK:         stablehlo.dynamic_slice
// CHECK-NEXT:    %[[HK:.*]] = stablehlo.constant dense<255> : tensor<ui8>
// CHECK-NEXT:    stablehlo.constant dense<0> : tensor<ui8>
// CHECK-NEXT:    stablehlo.clamp %{{.*}}, %{{.*}}, %[[HK]] : tensor<ui8>
// CHECK-NEXT:    stablehlo.constant dense<255> : tensor<ui8>
// CHECK:         stablehlo.dynamic_slice
func.func @saturated(%x: tensor<1000x300xf32>, %i: tensor<i8>, %j: tensor<i8>, %k: tensor<ui8>, %l: tensor<ui8>) -> (tensor<1x1xf32>, tensor<1x1xf32>) {
  %0 = stablehlo.dynamic_slice %x, %i, %j, sizes = [1, 1] : (tensor<1000x300xf32>, tensor<i8>, tensor<i8>) -> tensor<1x1xf32>
  %1 = stablehlo.dynamic_slice %x, %k, %l, sizes = [1, 1] : (tensor<1000x300xf32>, tensor<ui8>, tensor<ui8>) -> tensor<1x1xf32>
  return %0, %1 : tensor<1x1xf32>, tensor<1x1xf32>
}

// -----

// Indices known to be in bounds need no clamp: a constant, and the counter
// of a counted loop whose range fits. A constant out of bounds is replaced
// by its clamped value.

// CHECK-LABEL: func.func @known
// CHECK-DAG:     %[[ZERO:.*]] = stablehlo.constant dense<0> : tensor<i32>
// CHECK-DAG:     %[[EIGHT:.*]] = stablehlo.constant dense<8> : tensor<i32>
// CHECK:         stablehlo.dynamic_slice %{{.*}}, %[[EIGHT]], %[[ZERO]], sizes = [2, 6]
// CHECK:         stablehlo.while(%[[I:[a-zA-Z_0-9]+]] = %[[ZERO]],
// CHECK:         } do {
// CHECK-NOT:       stablehlo.clamp
// CHECK:           stablehlo.dynamic_slice %{{.*}}, %[[I]], %[[ZERO]], sizes = [1, 6]
func.func @known(%x: tensor<10x6xf32>) -> (tensor<2x6xf32>, tensor<1x6xf32>) {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %ten = stablehlo.constant dense<10> : tensor<i32>
  %far = stablehlo.constant dense<99> : tensor<i32>
  %0 = stablehlo.dynamic_slice %x, %far, %zero, sizes = [2, 6] : (tensor<10x6xf32>, tensor<i32>, tensor<i32>) -> tensor<2x6xf32>
  %init = stablehlo.constant dense<0.0> : tensor<1x6xf32>
  %r:2 = stablehlo.while(%i = %zero, %acc = %init) : tensor<i32>, tensor<1x6xf32>
    cond {
      %c = stablehlo.compare LT, %i, %ten : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %row = stablehlo.dynamic_slice %x, %i, %zero, sizes = [1, 6] : (tensor<10x6xf32>, tensor<i32>, tensor<i32>) -> tensor<1x6xf32>
      %i1 = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %i1, %row : tensor<i32>, tensor<1x6xf32>
    }
  return %0, %r#1 : tensor<2x6xf32>, tensor<1x6xf32>
}

// -----

// A counted loop whose counter goes past the bound still gets the clamp.

// CHECK-LABEL: func.func @counter_too_far
// CHECK:         } do {
// CHECK:           stablehlo.clamp
// CHECK:           stablehlo.dynamic_slice
func.func @counter_too_far(%x: tensor<10x6xf32>) -> tensor<2x6xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %ten = stablehlo.constant dense<10> : tensor<i32>
  %init = stablehlo.constant dense<0.0> : tensor<2x6xf32>
  %r:2 = stablehlo.while(%i = %zero, %acc = %init) : tensor<i32>, tensor<2x6xf32>
    cond {
      %c = stablehlo.compare LT, %i, %ten : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %rows = stablehlo.dynamic_slice %x, %i, %zero, sizes = [2, 6] : (tensor<10x6xf32>, tensor<i32>, tensor<i32>) -> tensor<2x6xf32>
      %i1 = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %i1, %rows : tensor<i32>, tensor<2x6xf32>
    }
  return %r#1 : tensor<2x6xf32>
}

// -----

// A module without dynamic slices is unchanged.

// CHECK-LABEL: func.func @no_dynamic_slice
// CHECK-NEXT:    stablehlo.slice
// CHECK-NEXT:    return
func.func @no_dynamic_slice(%x: tensor<10xf32>) -> tensor<2xf32> {
  %0 = stablehlo.slice %x [3:5] : (tensor<10xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Dynamic shapes have no constant bounds; every such op is reported.

// CHECK: sandbox-dynamic-slice.mlir:[[# @LINE + 3]]:8: error: the sandbox does not support stablehlo.dynamic_slice on dynamic shapes; give the operands static shapes
// CHECK: sandbox-dynamic-slice.mlir:[[# @LINE + 3]]:8: error: the sandbox does not support stablehlo.dynamic_update_slice on dynamic shapes; give the operands static shapes
func.func @dynamic(%x: tensor<?x6xf32>, %i: tensor<i32>, %u: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<?x6xf32>) {
  %0 = stablehlo.dynamic_slice %x, %i, %i, sizes = [2, 3] : (tensor<?x6xf32>, tensor<i32>, tensor<i32>) -> tensor<2x3xf32>
  %1 = stablehlo.dynamic_update_slice %x, %u, %i, %i : (tensor<?x6xf32>, tensor<2x3xf32>, tensor<i32>, tensor<i32>) -> tensor<?x6xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<?x6xf32>
}
