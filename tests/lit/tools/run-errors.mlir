// webtensor-run checks every input against the artifact's signature before
// anything runs, and says which input is wrong and how.

// RUN: webtensor-compile %s -o %t.vmfb
// RUN: not webtensor-run %t.vmfb --input=2x3xf32=1 2>&1 | filecheck %s --check-prefix=COUNT
// RUN: not webtensor-run %t.vmfb --input=3x2xf32=1 --input=f32=1 2>&1 | filecheck %s --check-prefix=SHAPE
// RUN: not webtensor-run %t.vmfb --input=2x3xi32=1 --input=f32=1 2>&1 | filecheck %s --check-prefix=DTYPE
// RUN: not webtensor-run %t.vmfb --input=2x3xf32=1,2 --input=f32=1 2>&1 | filecheck %s --check-prefix=VALUES
// RUN: not webtensor-run %t.vmfb --function=nope --input=2x3xf32=1 2>&1 | filecheck %s --check-prefix=FUNCTION
// RUN: not webtensor-run %s 2>&1 | filecheck %s --check-prefix=NOT-ARTIFACT
// RUN: not webtensor-run %t.vmfb --device=tpu 2>&1 | filecheck %s --check-prefix=DEVICE

// COUNT: webtensor-run: error: main takes 2 arrays (arg0, arg1), got 1
// SHAPE: webtensor-run: error: argument arg0: expected float32[2,3], got float32[3,2]
// DTYPE: webtensor-run: error: argument arg0: expected float32[2,3], got int32[2,3]
// VALUES: webtensor-run: error: input '2x3xf32' needs 6 values, got 2
// FUNCTION: webtensor-run: error: no function 'nope' in this model; functions: main
// NOT-ARTIFACT: webtensor-run: error: not a WebTensor artifact: expected an IREE .vmfb (StableHLO sources must be compiled first: webtensor.compile or webtensor-compile)
// DEVICE: webtensor-run: error: unknown device 'tpu'; valid drivers: local-task, local-sync, vulkan, cuda, hip
func.func @main(%a: tensor<2x3xf32>, %s: tensor<f32>) -> tensor<2x3xf32> {
  %0 = stablehlo.broadcast_in_dim %s, dims = [] : (tensor<f32>) -> tensor<2x3xf32>
  %1 = stablehlo.multiply %a, %0 : tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}
