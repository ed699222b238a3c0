// RUN: webtensor-opt %s -p webtensor-verify-input --split-input-file --verify-diagnostics | filecheck %s

// StableHLO, CHLO and func ops pass unchanged.

// CHECK-LABEL: func.func @allowed
// CHECK:         chlo.erf
// CHECK:         call @helper
func.func @allowed(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = chlo.erf %x : tensor<4xf32> -> tensor<4xf32>
  %1 = func.call @helper(%0) : (tensor<4xf32>) -> tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.tanh %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A hand-written IREE executable carrying inline assembly: refused before IREE
// sees it (plain IREE 3.13 ran a raw write syscall from such a module).

// CHECK: verify-input.mlir:[[# @LINE + 1]]:1: error: 'hal.executable' is an IREE-internal op; a model may contain only StableHLO, CHLO and func ops
hal.executable private @evil {
  hal.executable.variant public @x86 target(#hal.executable.target<"llvm-cpu", "embedded-elf-x86_64">) {
    hal.executable.export public @entry ordinal(0) layout(#hal.pipeline.layout<bindings = [#hal.pipeline.binding<storage_buffer>]>) count(%device: !hal.device) -> (index, index, index) {
      %c1 = arith.constant 1 : index
      hal.return %c1, %c1, %c1 : index, index, index
    }
    builtin.module {
      llvm.func @entry() {
        llvm.inline_asm has_side_effects "syscall", ""  : () -> ()
        llvm.return
      }
    }
  }
}

// -----

// CHECK: verify-input.mlir:[[# @LINE + 3]]:3: error: 'flow.tensor.trace' is an IREE-internal op; a model may contain only StableHLO, CHLO and func ops
// CHECK: verify-input.mlir:[[# @LINE + 3]]:8: error: 'util.optimization_barrier' is an IREE-internal op
func.func @trace(%x: tensor<4xf32>) -> tensor<4xf32> {
  flow.tensor.trace "leak" = [%x : tensor<4xf32>]
  %0 = util.optimization_barrier %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: verify-input.mlir:[[# @LINE + 1]]:1: error: 'util.global' is an IREE-internal op
util.global private mutable @state : tensor<4xf32>
func.func @uses_nothing(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// A declaration of a hal.* function is an external function: refused.

// CHECK: verify-input.mlir:[[# @LINE + 1]]:1: error: function @hal.buffer_view.trace has no body: calls to external functions are not allowed
func.func private @hal.buffer_view.trace(%key: tensor<4xf32>)
func.func @calls_out(%x: tensor<4xf32>) -> tensor<4xf32> {
  func.call @hal.buffer_view.trace(%x) : (tensor<4xf32>) -> ()
  return %x : tensor<4xf32>
}

// -----

// IREE's VM calls a module's @__init itself: a public function may not take
// a name that begins with two underscores. A private one is inlined away.

// CHECK: verify-input.mlir:[[# @LINE + 1]]:1: error: public function @__init: names that begin with '__' are reserved for IREE's VM (its module initializer is @__init); rename the function
func.func @__init(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @__helper(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @__helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// Other dialects are refused by name, and so are IREE-internal attributes.

// CHECK: verify-input.mlir:[[# @LINE + 2]]:8: error: 'arith.addf' is not allowed; a model may contain only StableHLO, CHLO and func ops
func.func @arith(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: verify-input.mlir:[[# @LINE + 1]]:1: error: attribute 'hal.device.targets' is IREE-internal and not allowed in a model
module attributes {hal.device.targets = [#hal.device.target<"local", [#hal.executable.target<"llvm-cpu", "embedded-elf-x86_64">]> : !hal.device]} {
  func.func @targets(%x: tensor<4xf32>) -> tensor<4xf32> {
    return %x : tensor<4xf32>
  }
}

// -----

// CHECK: verify-input.mlir:[[# @LINE + 1]]:1: error: attribute 'abi' refers to the IREE-internal dialect 'hal'
func.func @smuggled(%x: tensor<4xf32>) -> tensor<4xf32> attributes {abi = #hal.executable.target<"llvm-cpu", "embedded-elf-x86_64">} {
  return %x : tensor<4xf32>
}

// -----

// Types: tokens, tuples and foreign element types are refused.

// CHECK: verify-input.mlir:[[# @LINE + 1]]:1: error: type !stablehlo.token is not allowed; values must be ranked tensors
func.func @token(%t: !stablehlo.token) -> !stablehlo.token {
  return %t : !stablehlo.token
}

// -----

// CHECK: verify-input.mlir:[[# @LINE + 1]]:1: error: element type f8E4M3FN is not in the profile
func.func @f8(%x: tensor<4xf8E4M3FN>) -> tensor<4xf8E4M3FN> {
  return %x : tensor<4xf8E4M3FN>
}

// -----

// CHECK: verify-input.mlir:[[# @LINE + 1]]:1: error: type tensor<*xf32> is not allowed; values must be ranked tensors
func.func @unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  return %x : tensor<*xf32>
}

// -----

// CHECK: verify-input.mlir:[[# @LINE + 2]]:3: error: nested modules are not allowed
module {
  module @inner {
  }
}

// -----

// Complex constants pass (IREE 3.13's bindings cannot read their data, so
// the gate reads the op's header instead).

// CHECK-LABEL: func.func @complex_constants
// CHECK:         stablehlo.constant dense<(1.000000e+00,2.000000e+00)> : tensor<complex<f32>>
// CHECK:         stablehlo.constant dense<{{\[}}(1.000000e+00,-2.000000e+00), (0.000000e+00,5.000000e-01)]> : tensor<2xcomplex<f64>>
func.func @complex_constants() -> (tensor<complex<f32>>, tensor<2xcomplex<f64>>) {
  %0 = stablehlo.constant dense<(1.0, 2.0)> : tensor<complex<f32>>
  %1 = stablehlo.constant dense<[(1.0, -2.0), (0.0, 0.5)]> : tensor<2xcomplex<f64>>
  return %0, %1 : tensor<complex<f32>>, tensor<2xcomplex<f64>>
}

// -----

// CHECK: verify-input.mlir:[[# @LINE + 2]]:8: error: attribute 'smuggled' refers to the IREE-internal dialect 'hal'
func.func @complex_smuggled(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.abs %x {smuggled = dense<(1.0, 2.0)> : tensor<1xcomplex<f32>, #hal.descriptor_type<storage_buffer>>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Dense data is not printed to be searched, but its type is read: an
// encoding on it names a dialect too.

// CHECK: verify-input.mlir:[[# @LINE + 2]]:8: error: attribute 'smuggled' refers to the IREE-internal dialect 'hal'
func.func @dense_smuggled(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.abs %x {smuggled = dense<1.0> : tensor<1xf32, #hal.descriptor_type<storage_buffer>>} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: verify-input.mlir:[[# @LINE + 2]]:8: error: attribute 'nested' refers to the IREE-internal dialect 'util'
func.func @nested_smuggled(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.abs %x {nested = {inner = [1 : i32, dense<2> : tensor<1xi32, #util.byte_pattern<1>>]}} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
