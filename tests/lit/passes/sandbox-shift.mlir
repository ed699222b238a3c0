// RUN: webtensor-opt %s -p webtensor-sandbox-shift --split-input-file | filecheck %s

// A signed amount is read as unsigned: negative or at least the width is too
// far. Such an amount shifts by 0 instead, and the result is 0.

// CHECK-LABEL: func.func @signed_shift_left
// CHECK-SAME:    (%[[X:.*]]: tensor<4xi32>, %[[N:.*]]: tensor<4xi32>)
// CHECK-NEXT:    %[[WIDTH:.*]] = stablehlo.constant dense<32> : tensor<4xi32>
// CHECK-NEXT:    %[[WIDE:.*]] = stablehlo.compare GE, %[[N]], %[[WIDTH]], SIGNED
// CHECK-NEXT:    %[[ZERO:.*]] = stablehlo.constant dense<0> : tensor<4xi32>
// CHECK-NEXT:    %[[NEGATIVE:.*]] = stablehlo.compare LT, %[[N]], %[[ZERO]], SIGNED
// CHECK-NEXT:    %[[TOO_FAR:.*]] = stablehlo.or %[[NEGATIVE]], %[[WIDE]]
// CHECK-NEXT:    %[[NONE:.*]] = stablehlo.constant dense<0> : tensor<4xi32>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.select %[[TOO_FAR]], %[[NONE]], %[[N]]
// CHECK-NEXT:    %[[SHIFTED:.*]] = stablehlo.shift_left %[[X]], %[[SAFE]]
// CHECK-NEXT:    %[[R:.*]] = stablehlo.select %[[TOO_FAR]], %[[NONE]], %[[SHIFTED]]
// CHECK-NEXT:    return %[[R]]
func.func @signed_shift_left(%x: tensor<4xi32>, %n: tensor<4xi32>) -> tensor<4xi32> {
  %0 = stablehlo.shift_left %x, %n : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// An unsigned amount needs one comparison.

// CHECK-LABEL: func.func @unsigned_shift_right_logical
// CHECK-SAME:    (%[[X:.*]]: tensor<ui8>, %[[N:.*]]: tensor<ui8>)
// CHECK-NEXT:    %[[WIDTH:.*]] = stablehlo.constant dense<8> : tensor<ui8>
// CHECK-NEXT:    %[[TOO_FAR:.*]] = stablehlo.compare GE, %[[N]], %[[WIDTH]], UNSIGNED
// CHECK-NEXT:    %[[ZERO:.*]] = stablehlo.constant dense<0> : tensor<ui8>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.select %[[TOO_FAR]], %[[ZERO]], %[[N]]
// CHECK-NEXT:    %[[SHIFTED:.*]] = stablehlo.shift_right_logical %[[X]], %[[SAFE]]
// CHECK-NEXT:    %[[R:.*]] = stablehlo.select %[[TOO_FAR]], %[[ZERO]], %[[SHIFTED]]
// CHECK-NEXT:    return %[[R]]
func.func @unsigned_shift_right_logical(%x: tensor<ui8>, %n: tensor<ui8>) -> tensor<ui8> {
  %0 = stablehlo.shift_right_logical %x, %n : tensor<ui8>
  return %0 : tensor<ui8>
}

// -----

// A 64-bit shift by 0 is x, by a select of its own: IREE's SPIR-V emulation
// of 64-bit shifts gets it wrong.

// CHECK-LABEL: func.func @shift_left_64_bits
// CHECK-SAME:    (%[[X:.*]]: tensor<2xui64>, %[[N:.*]]: tensor<2xui64>)
// CHECK:         %[[ZERO:.*]] = stablehlo.constant dense<0> : tensor<2xui64>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.select %[[TOO_FAR:.*]], %[[ZERO]], %[[N]]
// CHECK-NEXT:    %[[SHIFTED:.*]] = stablehlo.shift_left %[[X]], %[[SAFE]]
// CHECK-NEXT:    %[[BY_ZERO:.*]] = stablehlo.compare EQ, %[[N]], %[[ZERO]], UNSIGNED
// CHECK-NEXT:    %[[SHIFTED_OR_X:.*]] = stablehlo.select %[[BY_ZERO]], %[[X]], %[[SHIFTED]]
// CHECK-NEXT:    %[[R:.*]] = stablehlo.select %[[TOO_FAR]], %[[ZERO]], %[[SHIFTED_OR_X]]
// CHECK-NEXT:    return %[[R]]
func.func @shift_left_64_bits(%x: tensor<2xui64>, %n: tensor<2xui64>) -> tensor<2xui64> {
  %0 = stablehlo.shift_left %x, %n : tensor<2xui64>
  return %0 : tensor<2xui64>
}

// -----

// An arithmetic shift too far shifts by width - 1 instead: the sign fill.

// CHECK-LABEL: func.func @shift_right_arithmetic
// CHECK-SAME:    (%[[X:.*]]: tensor<2xi64>, %[[N:.*]]: tensor<2xi64>)
// CHECK:         %[[TOO_FAR:.*]] = stablehlo.or
// CHECK-NEXT:    %[[LAST_BIT:.*]] = stablehlo.constant dense<63> : tensor<2xi64>
// CHECK-NEXT:    %[[CAPPED:.*]] = stablehlo.select %[[TOO_FAR]], %[[LAST_BIT]], %[[N]]
// CHECK-NEXT:    %[[R:.*]] = stablehlo.shift_right_arithmetic %[[X]], %[[CAPPED]]
// CHECK-NEXT:    return %[[R]]
func.func @shift_right_arithmetic(%x: tensor<2xi64>, %n: tensor<2xi64>) -> tensor<2xi64> {
  %0 = stablehlo.shift_right_arithmetic %x, %n : tensor<2xi64>
  return %0 : tensor<2xi64>
}

// -----

// A module without shifts is unchanged.

// CHECK-LABEL: func.func @no_shift
// CHECK-NEXT:    stablehlo.and
// CHECK-NEXT:    return
func.func @no_shift(%x: tensor<4xi32>) -> tensor<4xi32> {
  %0 = stablehlo.and %x, %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}
