// RUN: webtensor-opt %s -p webtensor-lower-unsigned --split-input-file | filecheck %s

// A cumulative sum on ui8 is computed in i8: the same bits.

// CHECK-LABEL: func.func @cumsum_ui8
// CHECK-SAME:    (%[[X:.*]]: tensor<4xui8>, %[[INIT:.*]]: tensor<ui8>)
// CHECK-NEXT:    %[[SX:.*]] = stablehlo.bitcast_convert %[[X]] : (tensor<4xui8>) -> tensor<4xi8>
// CHECK-NEXT:    %[[SI:.*]] = stablehlo.bitcast_convert %[[INIT]] : (tensor<ui8>) -> tensor<i8>
// CHECK-NEXT:    %[[SUM:.*]] = "stablehlo.reduce_window"(%[[SX]], %[[SI]])
// CHECK-SAME:      window_dimensions = array<i64: 4>
// CHECK:           stablehlo.add %{{.*}}, %{{.*}} : tensor<i8>
// CHECK:         %[[R:.*]] = stablehlo.bitcast_convert %[[SUM]] : (tensor<4xi8>) -> tensor<4xui8>
// CHECK-NEXT:    return %[[R]]
func.func @cumsum_ui8(%x: tensor<4xui8>, %init: tensor<ui8>) -> tensor<4xui8> {
  %0 = "stablehlo.reduce_window"(%x, %init) <{padding = dense<[[3, 0]]> : tensor<1x2xi64>, window_dimensions = array<i64: 4>}> ({
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %s = stablehlo.add %a, %b : tensor<ui8>
    stablehlo.return %s : tensor<ui8>
  }) : (tensor<4xui8>, tensor<ui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// maximum: the top bit flipped on the way in and out, so that the signed
// order of the flipped values is the unsigned order of the values.

// CHECK-LABEL: func.func @cummax_ui16
// CHECK:         %[[SX:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<4xui16>) -> tensor<4xi16>
// CHECK:         %[[SI:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<ui16>) -> tensor<i16>
// CHECK:         %[[TOP:.*]] = stablehlo.constant dense<-32768> : tensor<4xi16>
// CHECK-NEXT:    %[[FX:.*]] = stablehlo.xor %[[SX]], %[[TOP]]
// CHECK:         %[[FI:.*]] = stablehlo.xor %[[SI]], %{{.*}} : tensor<i16>
// CHECK-NEXT:    %[[MAX:.*]] = "stablehlo.reduce_window"(%[[FX]], %[[FI]])
// CHECK:           stablehlo.maximum %{{.*}}, %{{.*}} : tensor<i16>
// CHECK:         %[[BACK:.*]] = stablehlo.xor %[[MAX]], %{{.*}} : tensor<4xi16>
// CHECK-NEXT:    stablehlo.bitcast_convert %[[BACK]] : (tensor<4xi16>) -> tensor<4xui16>
func.func @cummax_ui16(%x: tensor<4xui16>, %init: tensor<ui16>) -> tensor<4xui16> {
  %0 = "stablehlo.reduce_window"(%x, %init) <{padding = dense<[[3, 0]]> : tensor<1x2xi64>, window_dimensions = array<i64: 4>}> ({
  ^bb0(%a: tensor<ui16>, %b: tensor<ui16>):
    %s = stablehlo.maximum %a, %b : tensor<ui16>
    stablehlo.return %s : tensor<ui16>
  }) : (tensor<4xui16>, tensor<ui16>) -> tensor<4xui16>
  return %0 : tensor<4xui16>
}

// -----

// CHECK-LABEL: func.func @reverse_ui32
// CHECK-NEXT:    %[[S:.*]] = stablehlo.bitcast_convert %{{.*}} : (tensor<2x3xui32>) -> tensor<2x3xi32>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.reverse %[[S]], dims = [1] : tensor<2x3xi32>
// CHECK-NEXT:    stablehlo.bitcast_convert %[[R]] : (tensor<2x3xi32>) -> tensor<2x3xui32>
func.func @reverse_ui32(%x: tensor<2x3xui32>) -> tensor<2x3xui32> {
  %0 = stablehlo.reverse %x, dims = [1] : tensor<2x3xui32>
  return %0 : tensor<2x3xui32>
}

// -----

// Unchanged: signed types, and bodies that are not one wrapping or ordered op.

// CHECK-LABEL: func.func @unchanged
// CHECK-NOT:     bitcast_convert
func.func @unchanged(%x: tensor<4xi8>, %y: tensor<4xui8>, %init: tensor<ui8>) -> (tensor<4xi8>, tensor<4xui8>) {
  %0 = stablehlo.reverse %x, dims = [0] : tensor<4xi8>
  %1 = "stablehlo.reduce_window"(%y, %init) <{window_dimensions = array<i64: 1>}> ({
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %d = stablehlo.divide %a, %b : tensor<ui8>
    stablehlo.return %d : tensor<ui8>
  }) : (tensor<4xui8>, tensor<ui8>) -> tensor<4xui8>
  return %0, %1 : tensor<4xi8>, tensor<4xui8>
}
