// RUN: webtensor-compile %s --compile-to=linalg | filecheck %s

// The linalg phase runs IREE's StableHLO input pipeline: no StableHLO is
// left, and the entry point carries its WebTensor signature for the runtime.

// CHECK-LABEL: func.func @main
// CHECK-SAME:    iree.reflection = {webtensor.signature = "{{.*}}\22name\22:\22main\22{{.*}}", webtensor.target = "llvm-cpu"}
// CHECK-NOT:     stablehlo.
// CHECK:         linalg.matmul
// CHECK:         linalg.generic
// CHECK:         math.tanh
func.func @main(%a: tensor<4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  %1 = stablehlo.tanh %0 : tensor<4x2xf32>
  return %1 : tensor<4x2xf32>
}
