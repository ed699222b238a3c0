// RUN: webtensor-opt %s -p webtensor-sandbox-select-and-scatter --split-input-file | filecheck %s

// Windows that tile the operand, which IREE lowers itself: the select region
// is asked the other way round and negated. IREE takes the candidate x over
// the current c when select'(x, c) = not select(c, x), which is exactly when
// XLA does not keep c. The scatter region is untouched.

// CHECK-LABEL: func.func @max_pool_gradient
// CHECK:         "stablehlo.select_and_scatter"
// CHECK-NEXT:    ^bb0(%[[X:.*]]: tensor<f32>, %[[C:.*]]: tensor<f32>):
// CHECK-NEXT:      %[[KEEP:.*]] = stablehlo.compare GE, %[[C]], %[[X]], FLOAT
// CHECK-NEXT:      %[[TAKE:.*]] = stablehlo.not %[[KEEP]]
// CHECK-NEXT:      stablehlo.return %[[TAKE]]
// CHECK-NEXT:    }, {
// CHECK-NEXT:    ^bb0(%[[U:.*]]: tensor<f32>, %[[V:.*]]: tensor<f32>):
// CHECK-NEXT:      %[[SUM:.*]] = stablehlo.add %[[U]], %[[V]]
// CHECK-NEXT:      stablehlo.return %[[SUM]]
func.func @max_pool_gradient(%x: tensor<6xf32>, %g: tensor<3xf32>, %zero: tensor<f32>) -> tensor<6xf32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) {window_dimensions = array<i64: 2>, window_strides = array<i64: 2>} : (tensor<6xf32>, tensor<3xf32>, tensor<f32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// A region of several ops is copied whole, with its arguments swapped.

// CHECK-LABEL: func.func @several_ops
// CHECK:         ^bb0(%[[X:.*]]: tensor<i32>, %[[C:.*]]: tensor<i32>):
// CHECK-NEXT:      %[[NEG:.*]] = stablehlo.negate %[[C]]
// CHECK-NEXT:      %[[KEEP:.*]] = stablehlo.compare GT, %[[NEG]], %[[X]], SIGNED
// CHECK-NEXT:      %[[TAKE:.*]] = stablehlo.not %[[KEEP]]
// CHECK-NEXT:      stablehlo.return %[[TAKE]]
func.func @several_ops(%x: tensor<4xi32>, %g: tensor<2xi32>, %zero: tensor<i32>) -> tensor<4xi32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %n = stablehlo.negate %a : tensor<i32>
    %c = stablehlo.compare GT, %n, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %r = stablehlo.add %a, %b : tensor<i32>
    stablehlo.return %r : tensor<i32>
  }) {window_dimensions = array<i64: 2>, window_strides = array<i64: 2>} : (tensor<4xi32>, tensor<2xi32>, tensor<i32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Overlapping windows with padding are decomposed. Window offset k's element
// of every window is a strided slice (padded where it is padding, with a
// valid mask from an iota); the select region runs as a map on (best so far,
// candidate), and the index of the chosen offset follows. Then, from the last
// offset down to the first (row-major source order at every position), the
// source elements that chose k are placed by an interior pad and combined
// with the scatter region, as scatter(result, source).

// CHECK-LABEL: func.func @overlapping
// CHECK-SAME:    (%[[X:.*]]: tensor<5xf32>, %[[S:.*]]: tensor<3xf32>, %[[I:.*]]: tensor<f32>)
// CHECK:         %[[INIT:.*]] = stablehlo.broadcast_in_dim %[[I]], dims = []
// CHECK:         %[[X0S:.*]] = stablehlo.slice %[[X]] [1:4:2]
// CHECK:         %[[X0:.*]] = stablehlo.pad %[[X0S]], %{{.*}}, low = [1], high = [0], interior = [0]
// CHECK:         %[[W0:.*]] = stablehlo.iota dim = 0 : tensor<3xi32>
// CHECK:         %[[V0:.*]] = stablehlo.compare GE, %[[W0]], %{{.*}}, SIGNED
// CHECK:         %[[K0:.*]] = stablehlo.constant dense<0> : tensor<3xi32>
// CHECK:         %[[X1:.*]] = stablehlo.slice %[[X]] [0:5:2]
// CHECK:         %[[KEEP1:.*]] = "stablehlo.map"(%[[X0]], %[[X1]])
// CHECK:           stablehlo.compare GE
// CHECK:         %[[NOT1:.*]] = stablehlo.not %[[KEEP1]]
// CHECK:         %[[UNSEEN:.*]] = stablehlo.not %[[V0]]
// CHECK:         %[[TAKE1:.*]] = stablehlo.or %[[NOT1]], %[[UNSEEN]]
// CHECK:         %[[BEST1:.*]] = stablehlo.select %[[TAKE1]], %[[X1]], %[[X0]]
// CHECK:         %[[K1:.*]] = stablehlo.constant dense<1> : tensor<3xi32>
// CHECK:         %[[IDX1:.*]] = stablehlo.select %[[TAKE1]], %[[K1]], %[[K0]]
// CHECK:         %[[X2S:.*]] = stablehlo.slice %[[X]] [1:4:2]
// CHECK:         %[[X2:.*]] = stablehlo.pad %[[X2S]], %{{.*}}, low = [0], high = [1], interior = [0]
// CHECK:         %[[V2:.*]] = stablehlo.compare LE, %{{.*}}, %{{.*}}, SIGNED
// CHECK:         %[[KEEP2:.*]] = "stablehlo.map"(%[[BEST1]], %[[X2]])
// CHECK:         %[[NOT2:.*]] = stablehlo.not %[[KEEP2]]
// CHECK:         %[[TAKE2:.*]] = stablehlo.and %[[NOT2]], %[[V2]]
// CHECK:         %[[K2:.*]] = stablehlo.constant dense<2> : tensor<3xi32>
// CHECK:         %[[IDX:.*]] = stablehlo.select %[[TAKE2]], %[[K2]], %[[IDX1]]
// CHECK:         %[[CHOSE2:.*]] = stablehlo.compare EQ, %[[IDX]], %{{.*}}, SIGNED
// CHECK:         %[[C2:.*]] = stablehlo.slice %[[CHOSE2]] [0:2]
// CHECK:         %[[S2:.*]] = stablehlo.slice %[[S]] [0:2]
// CHECK:         %[[AT2:.*]] = stablehlo.pad %[[C2]], %{{.*}}, low = [1], high = [1], interior = [1]
// CHECK:         %[[ADD2:.*]] = stablehlo.pad %[[S2]], %[[I]], low = [1], high = [1], interior = [1]
// CHECK:         %[[SUM2:.*]] = "stablehlo.map"(%[[INIT]], %[[ADD2]])
// CHECK:           stablehlo.add
// CHECK:         %[[R2:.*]] = stablehlo.select %[[AT2]], %[[SUM2]], %[[INIT]]
// CHECK:         %[[AT1:.*]] = stablehlo.pad %{{.*}}, %{{.*}}, low = [0], high = [0], interior = [1]
// CHECK:         %[[ADD1:.*]] = stablehlo.pad %[[S]], %[[I]], low = [0], high = [0], interior = [1]
// CHECK:         %[[SUM1:.*]] = "stablehlo.map"(%[[R2]], %[[ADD1]])
// CHECK:         %[[R1:.*]] = stablehlo.select %[[AT1]], %[[SUM1]], %[[R2]]
// CHECK:         %[[S0:.*]] = stablehlo.slice %[[S]] [1:3]
// CHECK:         %[[ADD0:.*]] = stablehlo.pad %[[S0]], %[[I]], low = [1], high = [1], interior = [1]
// CHECK:         %[[SUM0:.*]] = "stablehlo.map"(%[[R1]], %[[ADD0]])
// CHECK:         %[[R0:.*]] = stablehlo.select %{{.*}}, %[[SUM0]], %[[R1]]
// CHECK:         return %[[R0]]
func.func @overlapping(%x: tensor<5xf32>, %g: tensor<3xf32>, %zero: tensor<f32>) -> tensor<5xf32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) {window_dimensions = array<i64: 3>, window_strides = array<i64: 2>, padding = dense<[[1, 1]]> : tensor<1x2xi64>} : (tensor<5xf32>, tensor<3xf32>, tensor<f32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// A window of padding only selects nothing: its index is -1, which no offset
// matches, so its source element is dropped.

// CHECK-LABEL: func.func @windows_of_padding
// CHECK:         %[[NONE:.*]] = stablehlo.constant dense<-1> : tensor<4xi32>
// CHECK-NEXT:    stablehlo.select %{{.*}}, %{{.*}}, %[[NONE]]
func.func @windows_of_padding(%x: tensor<3xf32>, %g: tensor<4xf32>, %zero: tensor<f32>) -> tensor<3xf32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) {window_dimensions = array<i64: 2>, window_strides = array<i64: 2>, padding = dense<[[3, 2]]> : tensor<1x2xi64>} : (tensor<3xf32>, tensor<4xf32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// IREE cannot lower unsigned elements even with tiling windows: decomposed.

// CHECK-LABEL: func.func @unsigned
// CHECK-NOT:     stablehlo.select_and_scatter
// CHECK:         "stablehlo.map"
// CHECK:           stablehlo.compare GE, %{{.*}}, %{{.*}}, UNSIGNED
// CHECK:         return
func.func @unsigned(%x: tensor<4xui8>, %g: tensor<2xui8>, %zero: tensor<ui8>) -> tensor<4xui8> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %c = stablehlo.compare GE, %a, %b, UNSIGNED : (tensor<ui8>, tensor<ui8>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %r = stablehlo.add %a, %b : tensor<ui8>
    stablehlo.return %r : tensor<ui8>
  }) {window_dimensions = array<i64: 2>, window_strides = array<i64: 2>} : (tensor<4xui8>, tensor<2xui8>, tensor<ui8>) -> tensor<4xui8>
  return %0 : tensor<4xui8>
}

// -----

// A module without select_and_scatter is unchanged.

// CHECK-LABEL: func.func @no_select_and_scatter
// CHECK-NEXT:    stablehlo.maximum
// CHECK-NEXT:    return
func.func @no_select_and_scatter(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.maximum %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
