// RUN: webtensor-compile %s --compile-to=input | filecheck %s

// The input phase prints the module as parsed, before any pass: the private
// helper and the call are still there.

// CHECK-LABEL: func.func @main
// CHECK:         call @helper
// CHECK:       func.func private @helper
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @helper(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.multiply %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
