// RUN: webtensor-opt %s -p webtensor-wasm-float16 --split-input-file | filecheck %s

// An f16 add computes in f32: each operand's bits widened with integer ops
// (the exponent rebiased by 112; a subnormal as its mantissa times 2^-24),
// one f32 add, and the sum's bits narrowed back to f16.

// CHECK-LABEL: func.func @add
// CHECK-SAME:    (%[[A:.*]]: tensor<4xf16>, %[[B:.*]]: tensor<4xf16>)
// CHECK:         %[[A_BITS:.*]] = stablehlo.bitcast_convert %[[A]] : (tensor<4xf16>) -> tensor<4xi16>
// CHECK:         stablehlo.constant dense<112> : tensor<4xi32>
// CHECK:         stablehlo.constant dense<5.96046448E-8> : tensor<4xf32>
// CHECK:         %[[A_WIDE:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<4xi32>) -> tensor<4xf32>
// CHECK:         %[[B_BITS:.*]] = stablehlo.bitcast_convert %[[B]] : (tensor<4xf16>) -> tensor<4xi16>
// CHECK:         %[[B_WIDE:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<4xi32>) -> tensor<4xf32>
// CHECK-NEXT:    %[[SUM:.*]] = stablehlo.add %[[A_WIDE]], %[[B_WIDE]] : tensor<4xf32>
// CHECK-NEXT:    %[[SUM_BITS:.*]] = stablehlo.bitcast_convert %[[SUM]] : (tensor<4xf32>) -> tensor<4xi32>
// CHECK:         %[[HALF:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<4xi16>) -> tensor<4xf16>
// CHECK-NEXT:    return %[[HALF]]
func.func @add(%a: tensor<4xf16>, %b: tensor<4xf16>) -> tensor<4xf16> {
  %0 = stablehlo.add %a, %b : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

// Narrowing f32 to f16: round to nearest even on 13 bits (or, below 2^-14,
// on the shift that makes units of 2^-24), 65520 and up to infinity, NaN
// quieted with its payload's top bits, then the sign.

// CHECK-LABEL: func.func @narrow
// CHECK-SAME:    (%[[X:.*]]: tensor<3xf32>)
// CHECK-NEXT:    %[[BITS:.*]] = stablehlo.bitcast_convert %[[X]] : (tensor<3xf32>) -> tensor<3xi32>
// CHECK-NEXT:    %[[C16:.*]] = stablehlo.constant dense<16>
// CHECK-NEXT:    %[[HIGH:.*]] = stablehlo.shift_right_logical %[[BITS]], %[[C16]]
// CHECK-NEXT:    %[[SIGN_MASK:.*]] = stablehlo.constant dense<32768>
// CHECK-NEXT:    %[[SIGN:.*]] = stablehlo.and %[[HIGH]], %[[SIGN_MASK]]
// CHECK-NEXT:    %[[ABS_MASK:.*]] = stablehlo.constant dense<2147483647>
// CHECK-NEXT:    %[[ABS:.*]] = stablehlo.and %[[BITS]], %[[ABS_MASK]]
// CHECK-NEXT:    %[[REBIAS:.*]] = stablehlo.constant dense<939524096>
// CHECK-NEXT:    %[[REBIASED:.*]] = stablehlo.subtract %[[ABS]], %[[REBIAS]]
// CHECK-NEXT:    %[[C13:.*]] = stablehlo.constant dense<13>
// CHECK-NEXT:    %[[HALF_ULP:.*]] = stablehlo.constant dense<4095>
// CHECK-NEXT:    %[[KEPT:.*]] = stablehlo.shift_right_logical %[[REBIASED]], %[[C13]]
// CHECK-NEXT:    %[[ONE:.*]] = stablehlo.constant dense<1>
// CHECK-NEXT:    %[[ODD:.*]] = stablehlo.and %[[KEPT]], %[[ONE]]
// CHECK-NEXT:    %[[UP:.*]] = stablehlo.add %[[REBIASED]], %[[HALF_ULP]]
// CHECK-NEXT:    %[[TIED:.*]] = stablehlo.add %[[UP]], %[[ODD]]
// CHECK-NEXT:    %[[NORMAL:.*]] = stablehlo.shift_right_logical %[[TIED]], %[[C13]]
// CHECK:         %[[SHIFT:.*]] = stablehlo.subtract %{{.*}}, %{{.*}}
// CHECK:         %[[SUB_ODD:.*]] = stablehlo.and %{{.*}}, %{{.*}}
// CHECK-NEXT:    %[[SUB_UP:.*]] = stablehlo.add %{{.*}}, %{{.*}}
// CHECK-NEXT:    %[[SUB_TIED:.*]] = stablehlo.add %[[SUB_UP]], %[[SUB_ODD]]
// CHECK-NEXT:    %[[SUBNORMAL:.*]] = stablehlo.shift_right_logical %[[SUB_TIED]], %[[SHIFT]]
// CHECK:         %[[NAN_BITS:.*]] = stablehlo.constant dense<32256>
// CHECK-NEXT:    %[[NAN:.*]] = stablehlo.or %{{.*}}, %[[NAN_BITS]]
// CHECK-NEXT:    %[[MIN_NORMAL:.*]] = stablehlo.constant dense<947912704>
// CHECK-NEXT:    %[[TINY:.*]] = stablehlo.compare LT, %[[ABS]], %[[MIN_NORMAL]]
// CHECK-NEXT:    %[[FINITE:.*]] = stablehlo.select %[[TINY]], %[[SUBNORMAL]], %[[NORMAL]]
// CHECK-NEXT:    %[[OVERFLOW:.*]] = stablehlo.constant dense<1199566848>
// CHECK-NEXT:    %[[HUGE:.*]] = stablehlo.compare GE, %[[ABS]], %[[OVERFLOW]]
// CHECK-NEXT:    %[[INF:.*]] = stablehlo.constant dense<31744>
// CHECK-NEXT:    %[[CAPPED:.*]] = stablehlo.select %[[HUGE]], %[[INF]], %[[FINITE]]
// CHECK-NEXT:    %[[INF_BITS:.*]] = stablehlo.constant dense<2139095040>
// CHECK-NEXT:    %[[IS_NAN:.*]] = stablehlo.compare GT, %[[ABS]], %[[INF_BITS]]
// CHECK-NEXT:    %[[MAGNITUDE:.*]] = stablehlo.select %[[IS_NAN]], %[[NAN]], %[[CAPPED]]
// CHECK-NEXT:    %[[SIGNED:.*]] = stablehlo.or %[[SIGN]], %[[MAGNITUDE]]
// CHECK-NEXT:    %[[NARROW:.*]] = stablehlo.convert %[[SIGNED]] : (tensor<3xi32>) -> tensor<3xi16>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.bitcast_convert %[[NARROW]] : (tensor<3xi16>) -> tensor<3xf16>
// CHECK-NEXT:    return %[[R]]
func.func @narrow(%x: tensor<3xf32>) -> tensor<3xf16> {
  %0 = stablehlo.convert %x : (tensor<3xf32>) -> tensor<3xf16>
  return %0 : tensor<3xf16>
}

// -----

// A compare of halves compares the widened values; its i1 result needs no
// narrowing.

// CHECK-LABEL: func.func @compare
// CHECK:         %[[A_WIDE:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<2xi32>) -> tensor<2xf32>
// CHECK:         %[[B_WIDE:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<2xi32>) -> tensor<2xf32>
// CHECK-NEXT:    %[[LT:.*]] = stablehlo.compare LT, %[[A_WIDE]], %[[B_WIDE]], FLOAT : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
// CHECK-NEXT:    return %[[LT]]
func.func @compare(%a: tensor<2xf16>, %b: tensor<2xf16>) -> tensor<2xi1> {
  %0 = stablehlo.compare LT, %a, %b, FLOAT : (tensor<2xf16>, tensor<2xf16>) -> tensor<2xi1>
  return %0 : tensor<2xi1>
}

// -----

// Between f16 and a type other than f32, through f32.

// CHECK-LABEL: func.func @other_types
// CHECK-SAME:    (%[[H:.*]]: tensor<2xf16>, %[[D:.*]]: tensor<2xf64>)
// CHECK:         %[[WIDE:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<2xi32>) -> tensor<2xf32>
// CHECK-NEXT:    %[[INT:.*]] = stablehlo.convert %[[WIDE]] : (tensor<2xf32>) -> tensor<2xi32>
// CHECK-NEXT:    %[[SINGLE:.*]] = stablehlo.convert %[[D]] : (tensor<2xf64>) -> tensor<2xf32>
// CHECK-NEXT:    stablehlo.bitcast_convert %[[SINGLE]] : (tensor<2xf32>) -> tensor<2xi32>
// CHECK:         %[[HALF:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<2xi16>) -> tensor<2xf16>
// CHECK-NEXT:    return %[[INT]], %[[HALF]]
func.func @other_types(%h: tensor<2xf16>, %d: tensor<2xf64>) -> (tensor<2xi32>, tensor<2xf16>) {
  %0 = stablehlo.convert %h : (tensor<2xf16>) -> tensor<2xi32>
  %1 = stablehlo.convert %d : (tensor<2xf64>) -> tensor<2xf16>
  return %0, %1 : tensor<2xi32>, tensor<2xf16>
}

// -----

// A reduction keeps its f16 accumulator; its body computes in f32.

// CHECK-LABEL: func.func @reduce
// CHECK:         stablehlo.reduce(%{{.*}} init: %{{.*}}) across dimensions = [1] : (tensor<4x8xf16>, tensor<f16>) -> tensor<4xf16>
// CHECK-NEXT:    reducer(%[[L:.*]]: tensor<f16>, %[[R:.*]]: tensor<f16>)
// CHECK:         stablehlo.maximum %{{.*}}, %{{.*}} : tensor<f32>
// CHECK:         %[[BACK:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<i16>) -> tensor<f16>
// CHECK-NEXT:    stablehlo.return %[[BACK]] : tensor<f16>
func.func @reduce(%x: tensor<4x8xf16>, %init: tensor<f16>) -> tensor<4xf16> {
  %0 = stablehlo.reduce(%x init: %init) applies stablehlo.maximum across dimensions = [1] : (tensor<4x8xf16>, tensor<f16>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

// Data movement stays f16, and f32 arithmetic and conversions that do not
// touch f16 stay as they are.

// CHECK-LABEL: func.func @unchanged
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf16>, %[[P:.*]]: tensor<3x2xi1>, %[[F:.*]]: tensor<2xf32>)
// CHECK-NEXT:    %[[T:.*]] = stablehlo.transpose %[[X]], dims = [1, 0] : (tensor<2x3xf16>) -> tensor<3x2xf16>
// CHECK-NEXT:    %[[S:.*]] = stablehlo.select %[[P]], %[[T]], %[[T]] : tensor<3x2xi1>, tensor<3x2xf16>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.reshape %[[S]] : (tensor<3x2xf16>) -> tensor<6xf16>
// CHECK-NEXT:    %[[SUM:.*]] = stablehlo.add %[[F]], %[[F]] : tensor<2xf32>
// CHECK-NEXT:    %[[D:.*]] = stablehlo.convert %[[SUM]] : (tensor<2xf32>) -> tensor<2xf64>
// CHECK-NEXT:    return %[[R]], %[[D]]
func.func @unchanged(%x: tensor<2x3xf16>, %p: tensor<3x2xi1>, %f: tensor<2xf32>) -> (tensor<6xf16>, tensor<2xf64>) {
  %0 = stablehlo.transpose %x, dims = [1, 0] : (tensor<2x3xf16>) -> tensor<3x2xf16>
  %1 = stablehlo.select %p, %0, %0 : tensor<3x2xi1>, tensor<3x2xf16>
  %2 = stablehlo.reshape %1 : (tensor<3x2xf16>) -> tensor<6xf16>
  %3 = stablehlo.add %f, %f : tensor<2xf32>
  %4 = stablehlo.convert %3 : (tensor<2xf32>) -> tensor<2xf64>
  return %2, %4 : tensor<6xf16>, tensor<2xf64>
}
