// RUN: webtensor-opt %s -p webtensor-sandbox-float-to-int --split-input-file | filecheck %s

// The convert only sees values strictly between INT_MIN and INT_MAX + 1
// (2^31, exact in f32, where INT_MAX is not); anything else, NaN included,
// converts 0 and is then replaced: INT_MIN at or below the lower bound,
// INT_MAX at or above the upper one, 0 for NaN.

// CHECK-LABEL: func.func @f32_to_i32
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT:    %[[LOWER:.*]] = stablehlo.constant dense<-2.14748365E+9> : tensor<4xf32>
// CHECK-NEXT:    %[[UPPER:.*]] = stablehlo.constant dense<2.14748365E+9> : tensor<4xf32>
// CHECK-NEXT:    %[[ABOVE_LOWER:.*]] = stablehlo.compare GT, %[[X]], %[[LOWER]], FLOAT
// CHECK-NEXT:    %[[BELOW_UPPER:.*]] = stablehlo.compare LT, %[[X]], %[[UPPER]], FLOAT
// CHECK-NEXT:    %[[IN_RANGE:.*]] = stablehlo.and %[[ABOVE_LOWER]], %[[BELOW_UPPER]]
// CHECK-NEXT:    %[[ZERO:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK-NEXT:    %[[SAFE:.*]] = stablehlo.select %[[IN_RANGE]], %[[X]], %[[ZERO]]
// CHECK-NEXT:    %[[Y:.*]] = stablehlo.convert %[[SAFE]] : (tensor<4xf32>) -> tensor<4xi32>
// CHECK-NEXT:    %[[BELOW:.*]] = stablehlo.compare LE, %[[X]], %[[LOWER]], FLOAT
// CHECK-NEXT:    %[[INT_MIN:.*]] = stablehlo.constant dense<-2147483648> : tensor<4xi32>
// CHECK-NEXT:    %[[LOW:.*]] = stablehlo.select %[[BELOW]], %[[INT_MIN]], %[[Y]]
// CHECK-NEXT:    %[[ABOVE:.*]] = stablehlo.compare GE, %[[X]], %[[UPPER]], FLOAT
// CHECK-NEXT:    %[[INT_MAX:.*]] = stablehlo.constant dense<2147483647> : tensor<4xi32>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.select %[[ABOVE]], %[[INT_MAX]], %[[LOW]]
// CHECK-NEXT:    return %[[R]]
func.func @f32_to_i32(%x: tensor<4xf32>) -> tensor<4xi32> {
  %0 = stablehlo.convert %x : (tensor<4xf32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// f16 is widened to f32 first, exactly, where 2^64 is a finite value; the
// bounds of an unsigned type are 0 and 2^64.

// CHECK-LABEL: func.func @f16_to_ui64
// CHECK-SAME:    (%[[X:.*]]: tensor<f16>)
// CHECK-NEXT:    %[[WIDE:.*]] = stablehlo.convert %[[X]] : (tensor<f16>) -> tensor<f32>
// CHECK-NEXT:    %[[LOWER:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:    %[[UPPER:.*]] = stablehlo.constant dense<1.84467441E+19> : tensor<f32>
// CHECK-NEXT:    stablehlo.compare GT, %[[WIDE]], %[[LOWER]], FLOAT
// CHECK:         %[[Y:.*]] = stablehlo.convert %{{.*}} : (tensor<f32>) -> tensor<ui64>
// CHECK:         stablehlo.constant dense<0> : tensor<ui64>
// CHECK:         stablehlo.constant dense<18446744073709551615> : tensor<ui64>
func.func @f16_to_ui64(%x: tensor<f16>) -> tensor<ui64> {
  %0 = stablehlo.convert %x : (tensor<f16>) -> tensor<ui64>
  return %0 : tensor<ui64>
}

// -----

// A complex converts its real part.

// CHECK-LABEL: func.func @complex_to_i8
// CHECK-SAME:    (%[[Z:.*]]: tensor<2xcomplex<f64>>)
// CHECK-NEXT:    %[[X:.*]] = stablehlo.real %[[Z]] : (tensor<2xcomplex<f64>>) -> tensor<2xf64>
// CHECK-NEXT:    %[[LOWER:.*]] = stablehlo.constant dense<-1.280000e+02> : tensor<2xf64>
// CHECK-NEXT:    %[[UPPER:.*]] = stablehlo.constant dense<1.280000e+02> : tensor<2xf64>
// CHECK:         stablehlo.convert %{{.*}} : (tensor<2xf64>) -> tensor<2xi8>
func.func @complex_to_i8(%z: tensor<2xcomplex<f64>>) -> tensor<2xi8> {
  %0 = stablehlo.convert %z : (tensor<2xcomplex<f64>>) -> tensor<2xi8>
  return %0 : tensor<2xi8>
}

// -----

// Every other conversion is defined already: to i1 (x != 0), float to float,
// integer to float, integer to integer.

// CHECK-LABEL: func.func @defined_conversions
// CHECK-NEXT:    stablehlo.convert %{{.*}} : (tensor<3xf32>) -> tensor<3xi1>
// CHECK-NEXT:    stablehlo.convert %{{.*}} : (tensor<3xf32>) -> tensor<3xf16>
// CHECK-NEXT:    stablehlo.convert %{{.*}} : (tensor<3xi64>) -> tensor<3xf32>
// CHECK-NEXT:    stablehlo.convert %{{.*}} : (tensor<3xi64>) -> tensor<3xui8>
// CHECK-NEXT:    return
func.func @defined_conversions(%x: tensor<3xf32>, %n: tensor<3xi64>) -> (tensor<3xi1>, tensor<3xf16>, tensor<3xf32>, tensor<3xui8>) {
  %0 = stablehlo.convert %x : (tensor<3xf32>) -> tensor<3xi1>
  %1 = stablehlo.convert %x : (tensor<3xf32>) -> tensor<3xf16>
  %2 = stablehlo.convert %n : (tensor<3xi64>) -> tensor<3xf32>
  %3 = stablehlo.convert %n : (tensor<3xi64>) -> tensor<3xui8>
  return %0, %1, %2, %3 : tensor<3xi1>, tensor<3xf16>, tensor<3xf32>, tensor<3xui8>
}
