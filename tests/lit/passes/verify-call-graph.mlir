// RUN: webtensor-opt %s -p webtensor-verify-call-graph --split-input-file --verify-diagnostics | filecheck %s
// RUN: webtensor-opt %s -p "webtensor-verify-call-graph{max_ops=20}" --split-input-file --verify-diagnostics | filecheck %s --check-prefix=SMALL
// RUN: webtensor-opt %s -p "webtensor-verify-call-graph{max_call_depth=2}" --split-input-file --verify-diagnostics | filecheck %s --check-prefix=DEPTH

// A call DAG passes unchanged: @leaf is called twice but nothing recurses.

// CHECK-LABEL: func.func @dag
// CHECK:         call @mid
// CHECK:         call @leaf
// SMALL-LABEL: func.func @dag
func.func @dag(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @mid(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = func.call @leaf(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func private @mid(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @leaf(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @leaf(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.tanh %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: verify-call-graph.mlir:[[# @LINE + 2]]:8: error: recursive call @self -> @self: recursion is not allowed
func.func @self(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @self(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: verify-call-graph.mlir:[[# @LINE + 6]]:8: error: recursive call @ping -> @pong -> @ping: recursion is not allowed
func.func @ping(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @pong(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @pong(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @ping(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A composite whose decomposition refers back to the composite recurses too.

// CHECK: verify-call-graph.mlir:[[# @LINE + 6]]:8: error: recursive call @again -> @again: recursion is not allowed
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.composite "my.again" %x {decomposition = @again} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @again(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.composite "my.again" %x {decomposition = @again} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Each level calls the next twice: 40 levels would be 2^40 ops once inlined.
// Three levels already exceed a limit of 20.

// SMALL: verify-call-graph.mlir:[[# @LINE + 1]]:1: error: @doubling grows to 44 ops once every call is inlined, above the limit of 20
func.func @doubling(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @level1(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = func.call @level1(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func private @level1(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @level2(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = func.call @level2(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func private @level2(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @level3(%x) : (tensor<4xf32>) -> tensor<4xf32>
  %1 = func.call @level3(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func private @level3(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// Calls nested deeper than the limit: MLIR's inliner takes time cubic in the
// depth. Three nested calls exceed a limit of 2; @shallow, two deep, passes.

// DEPTH: verify-call-graph.mlir:[[# @LINE + 1]]:1: error: @deep nests calls 3 deep, above the limit of 2; if the model is legitimate, raise Limits.max_call_depth (--limit=max_call_depth=N)
func.func @deep(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @one(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
// DEPTH-NOT: @shallow
func.func @shallow(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @two(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @one(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @two(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @two(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @three(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @three(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
