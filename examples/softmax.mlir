// A StableHLO module, as any StableHLO producer would write it.
//
//   webtensor-compile examples/softmax.mlir -o softmax.vmfb
//   webtensor-run softmax.vmfb --input=2x4xf32=1,2,3,4,1,1,1,1
func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %neg_inf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %max = stablehlo.reduce(%x init: %neg_inf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x4xf32>, tensor<f32>) -> tensor<2xf32>
  %max_b = stablehlo.broadcast_in_dim %max, dims = [0] : (tensor<2xf32>) -> tensor<2x4xf32>
  %shifted = stablehlo.subtract %x, %max_b : tensor<2x4xf32>
  %exp = stablehlo.exponential %shifted : tensor<2x4xf32>
  %sum = stablehlo.reduce(%exp init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<2x4xf32>, tensor<f32>) -> tensor<2xf32>
  %sum_b = stablehlo.broadcast_in_dim %sum, dims = [0] : (tensor<2xf32>) -> tensor<2x4xf32>
  %result = stablehlo.divide %exp, %sum_b : tensor<2x4xf32>
  return %result : tensor<2x4xf32>
}
