// RUN: webtensor-opt %s -p webtensor-strip-attributes --split-input-file | filecheck %s

// Discardable attributes go, from the module, functions, arguments, results
// and ops; what the ops define themselves stays.

// CHECK:       module @jit_f {
// CHECK-LABEL: func.func public @main
// CHECK-SAME:    (%{{.*}}: tensor<4xf32>) -> tensor<4xf32> {
// CHECK-NEXT:    stablehlo.compare  GT, %{{.*}}, %{{.*}},  FLOAT
// CHECK-NEXT:    stablehlo.select
// CHECK-NEXT:    return
module @jit_f attributes {jax.uses_shape_polymorphism = false, mhlo.num_partitions = 1 : i32} {
  func.func public @main(%x: tensor<4xf32> {jax.arg_info = "x", mhlo.sharding = "{replicated}"}) -> (tensor<4xf32> {jax.result_info = "result"}) {
    %0 = stablehlo.compare GT, %x, %x, FLOAT {mhlo.frontend_attributes = {x = "y"}} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
    %1 = stablehlo.select %0, %x, %x {mhlo.sharding = "{replicated}"} : tensor<4xi1>, tensor<4xf32>
    return %1 : tensor<4xf32>
  }
}

// -----

// A module with nothing to strip is unchanged.

// CHECK-LABEL: func.func private @plain
// CHECK-NEXT:    return
func.func private @plain(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
