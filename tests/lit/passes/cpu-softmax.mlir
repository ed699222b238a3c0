// RUN: webtensor-opt %s -p webtensor-cpu-softmax --split-input-file | filecheck %s

// jax.nn.softmax over rows of 1024: x minus its row maximum (through JAX's
// maximum with -inf and two broadcasts) becomes x plus the negated maximum.

// CHECK-LABEL: func.func @softmax
// CHECK-SAME:    (%[[X:.*]]: tensor<2x1024xf32>)
// CHECK:         %[[MAX:.*]] = stablehlo.broadcast_in_dim %{{.*}}, dims = [0, 1] : (tensor<2x1xf32>) -> tensor<2x1024xf32>
// CHECK-NEXT:    %[[NEG:.*]] = stablehlo.negate %[[MAX]] : tensor<2x1024xf32>
// CHECK-NEXT:    %[[SHIFTED:.*]] = stablehlo.add %[[X]], %[[NEG]] : tensor<2x1024xf32>
// CHECK-NEXT:    stablehlo.exponential %[[SHIFTED]]
// CHECK-NOT:     stablehlo.subtract
func.func @softmax(%x: tensor<2x1024xf32>) -> tensor<2x1024xf32> {
  %zero = stablehlo.constant dense<0.000000e+00> : tensor<f32>
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %0 = stablehlo.reduce(%x init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x1024xf32>, tensor<f32>) -> tensor<2xf32>
  %1 = stablehlo.broadcast_in_dim %ninf, dims = [] : (tensor<f32>) -> tensor<2xf32>
  %2 = stablehlo.maximum %1, %0 : tensor<2xf32>
  %3 = stablehlo.broadcast_in_dim %2, dims = [0] : (tensor<2xf32>) -> tensor<2x1xf32>
  %4 = stablehlo.broadcast_in_dim %3, dims = [0, 1] : (tensor<2x1xf32>) -> tensor<2x1024xf32>
  %5 = stablehlo.subtract %x, %4 : tensor<2x1024xf32>
  %6 = stablehlo.exponential %5 : tensor<2x1024xf32>
  %7 = stablehlo.reduce(%6 init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<2x1024xf32>, tensor<f32>) -> tensor<2xf32>
  %8 = stablehlo.broadcast_in_dim %7, dims = [0] : (tensor<2xf32>) -> tensor<2x1024xf32>
  %9 = stablehlo.divide %6, %8 : tensor<2x1024xf32>
  return %9 : tensor<2x1024xf32>
}

// -----

// Rows shorter than 1024 are left alone: there IREE's softmax op is as fast.

// CHECK-LABEL: func.func @short_rows
// CHECK:         stablehlo.subtract
// CHECK-NOT:     stablehlo.negate
func.func @short_rows(%x: tensor<2x1023xf32>) -> tensor<2x1023xf32> {
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %m = stablehlo.reduce(%x init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x1023xf32>, tensor<f32>) -> tensor<2xf32>
  %b = stablehlo.broadcast_in_dim %m, dims = [0] : (tensor<2xf32>) -> tensor<2x1023xf32>
  %0 = stablehlo.subtract %x, %b : tensor<2x1023xf32>
  return %0 : tensor<2x1023xf32>
}

// -----

// The maximum of another tensor, a minimum, or a subtraction from the
// maximum (not of it) are left alone.

// CHECK-LABEL: func.func @others
// CHECK-COUNT-3: stablehlo.subtract
// CHECK-NOT:     stablehlo.negate
func.func @others(%x: tensor<2x1024xf32>, %y: tensor<2x1024xf32>) -> (tensor<2x1024xf32>, tensor<2x1024xf32>, tensor<2x1024xf32>) {
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %inf = stablehlo.constant dense<0x7F800000> : tensor<f32>
  %my = stablehlo.reduce(%y init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x1024xf32>, tensor<f32>) -> tensor<2xf32>
  %by = stablehlo.broadcast_in_dim %my, dims = [0] : (tensor<2xf32>) -> tensor<2x1024xf32>
  %0 = stablehlo.subtract %x, %by : tensor<2x1024xf32>
  %mx = stablehlo.reduce(%x init: %inf) applies stablehlo.minimum across dimensions = [1] : (tensor<2x1024xf32>, tensor<f32>) -> tensor<2xf32>
  %bx = stablehlo.broadcast_in_dim %mx, dims = [0] : (tensor<2xf32>) -> tensor<2x1024xf32>
  %1 = stablehlo.subtract %x, %bx : tensor<2x1024xf32>
  %nx = stablehlo.reduce(%x init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x1024xf32>, tensor<f32>) -> tensor<2xf32>
  %cx = stablehlo.broadcast_in_dim %nx, dims = [0] : (tensor<2xf32>) -> tensor<2x1024xf32>
  %2 = stablehlo.subtract %cx, %x : tensor<2x1024xf32>
  return %0, %1, %2 : tensor<2x1024xf32>, tensor<2x1024xf32>, tensor<2x1024xf32>
}

// -----

// Integers are left alone: IREE's softmax is for floats.

// CHECK-LABEL: func.func @integers
// CHECK:         stablehlo.subtract
// CHECK-NOT:     stablehlo.negate
func.func @integers(%x: tensor<2x1024xi32>) -> tensor<2x1024xi32> {
  %min = stablehlo.constant dense<-2147483648> : tensor<i32>
  %m = stablehlo.reduce(%x init: %min) applies stablehlo.maximum across dimensions = [1] : (tensor<2x1024xi32>, tensor<i32>) -> tensor<2xi32>
  %b = stablehlo.broadcast_in_dim %m, dims = [0] : (tensor<2xi32>) -> tensor<2x1024xi32>
  %0 = stablehlo.subtract %x, %b : tensor<2x1024xi32>
  return %0 : tensor<2x1024xi32>
}
