// RUN: webtensor-compile %s --compile-to=sandboxed | filecheck %s

// The sandboxed phase's output is still portable StableHLO.

// CHECK-LABEL: func.func @main
// CHECK:         stablehlo.add
// CHECK-NOT:     linalg.
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.add %a, %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}
