// RUN: webtensor-compile %s --compile-to=legalized | filecheck %s

// Legalize leaves plain StableHLO: CHLO decomposed, composites replaced by
// their decompositions, every call inlined and the callees removed.

// CHECK-LABEL: func.func @main
// CHECK-NOT:     chlo.
// CHECK-NOT:     stablehlo.composite
// CHECK-NOT:     call
// CHECK:         stablehlo.tanh
// CHECK:         return
// CHECK-NOT:   func.func private
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = chlo.erf %x : tensor<4xf32> -> tensor<4xf32>
  %1 = stablehlo.composite "my.tanh" %0 {decomposition = @my_tanh} : (tensor<4xf32>) -> tensor<4xf32>
  %2 = func.call @helper(%1) : (tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
func.func private @my_tanh(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.tanh %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.multiply %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
