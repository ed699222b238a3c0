// RUN: webtensor-opt %s -p webtensor-sandbox-pad --split-input-file | filecheck %s

// Negative edge padding becomes a slice of the elements the result shows,
// then a pad that only adds. Along dim 0, x's elements sit at -3, -1, 1, 3, 5
// of the interior-padded row, and the result shows positions 0..3: x[2] and
// x[3], one padding element before them.

// CHECK-LABEL: func.func @crop_both_sides
// CHECK-SAME:    (%[[X:.*]]: tensor<5x4xf32>, %[[V:.*]]: tensor<f32>)
// CHECK-NEXT:    %[[SHOWN:.*]] = stablehlo.slice %[[X]] [2:4, 0:4] : (tensor<5x4xf32>) -> tensor<2x4xf32>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.pad %[[SHOWN]], %[[V]], low = [1, 1], high = [0, 1], interior = [1, 0] : (tensor<2x4xf32>, tensor<f32>) -> tensor<4x6xf32>
// CHECK-NEXT:    return %[[R]]
func.func @crop_both_sides(%x: tensor<5x4xf32>, %v: tensor<f32>) -> tensor<4x6xf32> {
  %0 = stablehlo.pad %x, %v, low = [-3, 1], high = [-2, 1], interior = [1, 0] : (tensor<5x4xf32>, tensor<f32>) -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// A result that shows none of x is the padding value everywhere: IREE would
// have allocated 2^32 elements to compute these three.

// CHECK-LABEL: func.func @all_padding
// CHECK-SAME:    (%[[X:.*]]: tensor<3xi32>, %[[V:.*]]: tensor<i32>)
// CHECK-NEXT:    %[[R:.*]] = stablehlo.broadcast_in_dim %[[V]], dims = [] : (tensor<i32>) -> tensor<3xi32>
// CHECK-NEXT:    return %[[R]]
func.func @all_padding(%x: tensor<3xi32>, %v: tensor<i32>) -> tensor<3xi32> {
  %0 = stablehlo.pad %x, %v, low = [2147483640], high = [-2147483640], interior = [0] : (tensor<3xi32>, tensor<i32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// -----

// A pad that only adds is unchanged.

// CHECK-LABEL: func.func @no_crop
// CHECK-NEXT:    stablehlo.pad %{{.*}}, %{{.*}}, low = [1], high = [2], interior = [2]
// CHECK-NEXT:    return
func.func @no_crop(%x: tensor<3xf32>, %v: tensor<f32>) -> tensor<10xf32> {
  %0 = stablehlo.pad %x, %v, low = [1], high = [2], interior = [2] : (tensor<3xf32>, tensor<f32>) -> tensor<10xf32>
  return %0 : tensor<10xf32>
}
