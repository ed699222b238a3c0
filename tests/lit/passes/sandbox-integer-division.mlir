// RUN: webtensor-opt %s -p webtensor-sandbox-integer-division --split-input-file --verify-diagnostics | filecheck %s

// A signed division never sees a zero divisor nor INT_MIN / -1: both divide by
// 1 instead (INT_MIN / 1 is the defined INT_MIN), and x / 0 becomes -1.

// CHECK-LABEL: func.func @signed_divide
// CHECK-SAME:    (%[[A:.*]]: tensor<4xi32>, %[[B:.*]]: tensor<4xi32>)
// CHECK:         %[[ZERO:.*]] = stablehlo.constant dense<0> : tensor<4xi32>
// CHECK:         %[[BY_ZERO:.*]] = stablehlo.compare EQ, %[[B]], %[[ZERO]], SIGNED
// CHECK:         %[[INT_MIN:.*]] = stablehlo.constant dense<-2147483648> : tensor<4xi32>
// CHECK:         %[[A_MIN:.*]] = stablehlo.compare EQ, %[[A]], %[[INT_MIN]], SIGNED
// CHECK:         %[[MINUS_ONE:.*]] = stablehlo.constant dense<-1> : tensor<4xi32>
// CHECK:         %[[B_MINUS_ONE:.*]] = stablehlo.compare EQ, %[[B]], %[[MINUS_ONE]], SIGNED
// CHECK:         %[[OVERFLOW:.*]] = stablehlo.and %[[A_MIN]], %[[B_MINUS_ONE]]
// CHECK:         %[[UNSAFE:.*]] = stablehlo.or %[[BY_ZERO]], %[[OVERFLOW]]
// CHECK:         %[[ONE:.*]] = stablehlo.constant dense<1> : tensor<4xi32>
// CHECK:         %[[SAFE:.*]] = stablehlo.select %[[UNSAFE]], %[[ONE]], %[[B]]
// CHECK:         %[[Q:.*]] = stablehlo.divide %[[A]], %[[SAFE]]
// CHECK:         %[[ALL_ONES:.*]] = stablehlo.constant dense<-1> : tensor<4xi32>
// CHECK:         %[[R:.*]] = stablehlo.select %[[BY_ZERO]], %[[ALL_ONES]], %[[Q]]
// CHECK:         return %[[R]]
func.func @signed_divide(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = stablehlo.divide %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// An unsigned type has no overflow case; x % 0 is x.

// CHECK-LABEL: func.func @unsigned_remainder
// CHECK-SAME:    (%[[A:.*]]: tensor<ui8>, %[[B:.*]]: tensor<ui8>)
// CHECK-NEXT:    %[[ZERO:.*]] = stablehlo.constant dense<0> : tensor<ui8>
// CHECK-NEXT:    %[[BY_ZERO:.*]] = stablehlo.compare EQ, %[[B]], %[[ZERO]], UNSIGNED
// CHECK-NEXT:    %[[ONE:.*]] = stablehlo.constant dense<1> : tensor<ui8>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.select %[[BY_ZERO]], %[[ONE]], %[[B]]
// CHECK-NEXT:    %[[REM:.*]] = stablehlo.remainder %[[A]], %[[SAFE]]
// CHECK-NEXT:    %[[R:.*]] = stablehlo.select %[[BY_ZERO]], %[[A]], %[[REM]]
// CHECK-NEXT:    return %[[R]]
func.func @unsigned_remainder(%a: tensor<ui8>, %b: tensor<ui8>) -> tensor<ui8> {
  %0 = stablehlo.remainder %a, %b : tensor<ui8>
  return %0 : tensor<ui8>
}

// -----

// So is an unsigned division's -1: all bits set.

// CHECK-LABEL: func.func @unsigned_divide
// CHECK:         %[[Q:.*]] = stablehlo.divide
// CHECK-NEXT:    %[[ALL_ONES:.*]] = stablehlo.constant dense<65535> : tensor<2xui16>
// CHECK-NEXT:    stablehlo.select %{{.*}}, %[[ALL_ONES]], %[[Q]]
func.func @unsigned_divide(%a: tensor<2xui16>, %b: tensor<2xui16>) -> tensor<2xui16> {
  %0 = stablehlo.divide %a, %b : tensor<2xui16>
  return %0 : tensor<2xui16>
}

// -----

// A dynamic shape has no splat constant: a rank-0 constant clamped over a
// value of that shape stands in for one. A signed remainder comes from the
// quotient (the SPIR-V lowering of a remainder gets INT_MIN % 3 wrong).

// CHECK-LABEL: func.func @dynamic_shape
// CHECK-SAME:    (%[[A:.*]]: tensor<?xi16, #stablehlo.bounds<8>>, %[[B:.*]]: tensor<?xi16, #stablehlo.bounds<8>>)
// CHECK-NEXT:    %[[C0:.*]] = stablehlo.constant dense<0> : tensor<i16>
// CHECK-NEXT:    %[[ZERO:.*]] = stablehlo.clamp %[[C0]], %[[B]], %[[C0]] : (tensor<i16>, tensor<?xi16, #stablehlo.bounds<8>>, tensor<i16>)
// CHECK-NEXT:    %[[BY_ZERO:.*]] = stablehlo.compare EQ, %[[B]], %[[ZERO]], SIGNED
// CHECK:         %[[Q:.*]] = stablehlo.divide %[[A]], %[[SAFE:.*]] : tensor<?xi16, #stablehlo.bounds<8>>
// CHECK-NEXT:    %[[QB:.*]] = stablehlo.multiply %[[Q]], %[[SAFE]]
// CHECK-NEXT:    %[[REM:.*]] = stablehlo.subtract %[[A]], %[[QB]]
// CHECK-NEXT:    %[[R:.*]] = stablehlo.select %[[BY_ZERO]], %[[A]], %[[REM]]
// CHECK-NEXT:    return %[[R]]
func.func @dynamic_shape(%a: tensor<?xi16, #stablehlo.bounds<8>>, %b: tensor<?xi16, #stablehlo.bounds<8>>) -> tensor<?xi16, #stablehlo.bounds<8>> {
  %0 = stablehlo.remainder %a, %b : tensor<?xi16, #stablehlo.bounds<8>>
  return %0 : tensor<?xi16, #stablehlo.bounds<8>>
}

// -----

// Float and complex division are IEEE-defined and stay as they are.

// CHECK-LABEL: func.func @float_and_complex
// CHECK-NEXT:    stablehlo.divide
// CHECK-NEXT:    stablehlo.remainder
// CHECK-NEXT:    stablehlo.divide
// CHECK-NEXT:    return
func.func @float_and_complex(%x: tensor<3xf32>, %z: tensor<3xcomplex<f32>>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xcomplex<f32>>) {
  %0 = stablehlo.divide %x, %x : tensor<3xf32>
  %1 = stablehlo.remainder %x, %x : tensor<3xf32>
  %2 = stablehlo.divide %z, %z : tensor<3xcomplex<f32>>
  return %0, %1, %2 : tensor<3xf32>, tensor<3xf32>, tensor<3xcomplex<f32>>
}

// -----

// Boolean division never reaches the pass: StableHLO rejects it at parse time.

// CHECK: sandbox-integer-division.mlir:[[# @LINE + 2]]:8: error: 'stablehlo.divide' op operand #0 must be ranked tensor of 2/4/8/16/32/64-bit integer
func.func @boolean(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %0 = stablehlo.divide %a, %b : tensor<4xi1>
  return %0 : tensor<4xi1>
}
