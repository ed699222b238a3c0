// RUN: webtensor-opt %s -p webtensor-sandbox-select-and-scatter --split-input-file | filecheck %s

// Windows that tile the operand, with more elements than the decomposition
// takes, are left to IREE's own lowering: the select region is asked the
// other way round and negated. IREE takes the candidate x over the current c
// when select'(x, c) = not select(c, x), which is exactly when XLA does not
// keep c. The scatter region is untouched.

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
func.func @max_pool_gradient(%x: tensor<130xf32>, %g: tensor<2xf32>, %zero: tensor<f32>) -> tensor<130xf32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) {window_dimensions = array<i64: 65>, window_strides = array<i64: 65>} : (tensor<130xf32>, tensor<2xf32>, tensor<f32>) -> tensor<130xf32>
  return %0 : tensor<130xf32>
}

// -----

// A region of several ops is copied whole, with its arguments swapped.

// CHECK-LABEL: func.func @several_ops
// CHECK:         ^bb0(%[[X:.*]]: tensor<i32>, %[[C:.*]]: tensor<i32>):
// CHECK-NEXT:      %[[NEG:.*]] = stablehlo.negate %[[C]]
// CHECK-NEXT:      %[[KEEP:.*]] = stablehlo.compare GT, %[[NEG]], %[[X]], SIGNED
// CHECK-NEXT:      %[[TAKE:.*]] = stablehlo.not %[[KEEP]]
// CHECK-NEXT:      stablehlo.return %[[TAKE]]
func.func @several_ops(%x: tensor<130xi32>, %g: tensor<2xi32>, %zero: tensor<i32>) -> tensor<130xi32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %n = stablehlo.negate %a : tensor<i32>
    %c = stablehlo.compare GT, %n, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %r = stablehlo.add %a, %b : tensor<i32>
    stablehlo.return %r : tensor<i32>
  }) {window_dimensions = array<i64: 65>, window_strides = array<i64: 65>} : (tensor<130xi32>, tensor<2xi32>, tensor<i32>) -> tensor<130xi32>
  return %0 : tensor<130xi32>
}

// -----

// Overlapping windows with padding are decomposed. Window offset k's element
// of every window is a strided slice (padded where it is padding, with a
// valid mask from an iota); the select region runs as a map on (best so far,
// candidate), and the index of the chosen offset follows. The index and the
// source are spread to operand positions by one interior pad each; then,
// from the last offset down to the first (row-major source order at every
// position), a slice shifted by the offset says where a source element
// chose it, and the scatter region combines it there, as scatter(result,
// source).

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
// CHECK:         %[[NONE:.*]] = stablehlo.constant dense<-1> : tensor<i32>
// CHECK:         %[[SPREAD_IDX:.*]] = stablehlo.pad %[[IDX]], %[[NONE]], low = [1], high = [1], interior = [1]
// CHECK:         %[[SPREAD_S:.*]] = stablehlo.pad %[[S]], %[[I]], low = [1], high = [1], interior = [1]
// CHECK:         %[[AT2:.*]] = stablehlo.slice %[[SPREAD_IDX]] [0:5]
// CHECK:         %[[K2B:.*]] = stablehlo.constant dense<2> : tensor<5xi32>
// CHECK:         %[[CHOSE2:.*]] = stablehlo.compare EQ, %[[AT2]], %[[K2B]], SIGNED
// CHECK:         %[[S2:.*]] = stablehlo.slice %[[SPREAD_S]] [0:5]
// CHECK:         %[[SUM2:.*]] = "stablehlo.map"(%[[INIT]], %[[S2]])
// CHECK:           stablehlo.add
// CHECK:         %[[R2:.*]] = stablehlo.select %[[CHOSE2]], %[[SUM2]], %[[INIT]]
// CHECK:         %[[AT1:.*]] = stablehlo.slice %[[SPREAD_IDX]] [1:6]
// CHECK:         %[[S1:.*]] = stablehlo.slice %[[SPREAD_S]] [1:6]
// CHECK:         %[[SUM1:.*]] = "stablehlo.map"(%[[R2]], %[[S1]])
// CHECK:         %[[R1:.*]] = stablehlo.select %{{.*}}, %[[SUM1]], %[[R2]]
// CHECK:         %[[AT0:.*]] = stablehlo.slice %[[SPREAD_IDX]] [2:7]
// CHECK:         %[[S0:.*]] = stablehlo.slice %[[SPREAD_S]] [2:7]
// CHECK:         %[[SUM0:.*]] = "stablehlo.map"(%[[R1]], %[[S0]])
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
// CHECK:         %[[NOWHERE:.*]] = stablehlo.constant dense<-1> : tensor<4xi32>
// CHECK-NEXT:    stablehlo.select %{{.*}}, %{{.*}}, %[[NOWHERE]]
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

// Windows that tile the operand are decomposed too (IREE's own lowering was
// slower, and takes no unsigned elements at all).

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
