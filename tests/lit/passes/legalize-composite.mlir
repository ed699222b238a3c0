// RUN: webtensor-opt %s -p webtensor-legalize-composite --split-input-file --verify-diagnostics | filecheck %s

// A composite becomes a call to its decomposition, with the same operands and
// result types; the decomposition function is left for the inliner.

// CHECK-LABEL: func.func @one_result
// CHECK-SAME:    (%[[X:.*]]: tensor<3xf32>)
// CHECK-NEXT:    %[[R:.*]] = call @my.tanh2(%[[X]]) : (tensor<3xf32>) -> tensor<3xf32>
// CHECK-NEXT:    return %[[R]]
// CHECK:       func.func private @my.tanh2
func.func @one_result(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.composite "my.tanh2" %x {decomposition = @my.tanh2} : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @my.tanh2(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.tanh %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// Several results, and composite attributes that the decomposition ignores.

// CHECK-LABEL: func.func @top_k
// CHECK:         %[[R:.*]]:2 = call @chlo.top_k.impl(%{{.*}}) : (tensor<3xf32>) -> (tensor<2xf32>, tensor<2xi32>)
// CHECK:         return %[[R]]#0, %[[R]]#1
func.func @top_k(%x: tensor<3xf32>) -> (tensor<2xf32>, tensor<2xi32>) {
  %0:2 = stablehlo.composite "chlo.top_k" %x {composite_attributes = {k = 2 : i64}, decomposition = @chlo.top_k.impl, version = 1 : i32} : (tensor<3xf32>) -> (tensor<2xf32>, tensor<2xi32>)
  return %0#0, %0#1 : tensor<2xf32>, tensor<2xi32>
}
func.func private @chlo.top_k.impl(%x: tensor<3xf32>) -> (tensor<2xf32>, tensor<2xi32>) {
  %0 = stablehlo.iota dim = 0 : tensor<3xi32>
  %1:2 = "stablehlo.sort"(%x, %0) <{dimension = 0 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>, %c: tensor<i32>, %d: tensor<i32>):
    %4 = stablehlo.compare GT, %a, %b, TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %4 : tensor<i1>
  }) : (tensor<3xf32>, tensor<3xi32>) -> (tensor<3xf32>, tensor<3xi32>)
  %2 = stablehlo.slice %1#0 [0:2] : (tensor<3xf32>) -> tensor<2xf32>
  %3 = stablehlo.slice %1#1 [0:2] : (tensor<3xi32>) -> tensor<2xi32>
  return %2, %3 : tensor<2xf32>, tensor<2xi32>
}

// -----

// A module without composites is unchanged.

// CHECK-LABEL: func.func @no_composite
// CHECK-NEXT:    stablehlo.add
// CHECK-NEXT:    return
func.func @no_composite(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.add %x, %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// A decomposition that does not exist is an error at the composite (StableHLO's
// own verifier reports it when the module is parsed).

// CHECK: legalize-composite.mlir:[[# @LINE + 2]]:8: error: 'missing' does not reference a valid function
func.func @missing_decomposition(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.composite "my.op" %x {decomposition = @missing} : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// So is a decomposition whose types differ from the composite's.

// CHECK: legalize-composite.mlir:[[# @LINE + 2]]:8: error: operand at index 0 has type 'tensor<3xf32>', but decomposition has type 'tensor<4xf32>'
func.func @mismatched_types(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.composite "my.op" %x {decomposition = @wrong_type} : (tensor<3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
func.func private @wrong_type(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
