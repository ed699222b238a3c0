// RUN: webtensor-opt %s -p webtensor-verify-profile --split-input-file --verify-diagnostics | filecheck %s

// webtensor-verify-profile's rule for select_and_scatter (in a file of its
// own beside verify-profile.mlir). webtensor-sandbox-select-and-scatter
// decomposes what IREE 3.13 cannot lower (windows that do not tile the
// operand, unsigned elements), in a number of ops that grows with the
// window; the profile refuses what it cannot decompose.

// Overlapping windows with padding, within the window limit, pass.

// CHECK-LABEL: func.func @overlapping
// CHECK:         "stablehlo.select_and_scatter"
func.func @overlapping(%x: tensor<7x9xf32>, %g: tensor<4x5xf32>, %zero: tensor<f32>) -> tensor<7x9xf32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) {window_dimensions = array<i64: 3, 3>, window_strides = array<i64: 2, 2>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>} : (tensor<7x9xf32>, tensor<4x5xf32>, tensor<f32>) -> tensor<7x9xf32>
  return %0 : tensor<7x9xf32>
}

// -----

// CHECK: verify-profile-select-and-scatter.mlir:[[# @LINE + 2]]:8: error: select_and_scatter with windows that do not tile the operand takes windows of at most 64 elements; this one has 81; windows that tile the operand (window_strides equal to window_dimensions, no padding) have no limit
func.func @too_large_a_window(%x: tensor<10x10xf32>, %g: tensor<2x2xf32>, %zero: tensor<f32>) -> tensor<10x10xf32> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) {window_dimensions = array<i64: 9, 9>, window_strides = array<i64: 1, 1>} : (tensor<10x10xf32>, tensor<2x2xf32>, tensor<f32>) -> tensor<10x10xf32>
  return %0 : tensor<10x10xf32>
}

// -----

// Tiling windows on unsigned elements are decomposed too (IREE cannot lower
// them), so the limit holds for them.

// CHECK: verify-profile-select-and-scatter.mlir:[[# @LINE + 2]]:8: error: select_and_scatter with unsigned elements takes windows of at most 64 elements; this one has 100
func.func @unsigned_large_window(%x: tensor<200xui8>, %g: tensor<2xui8>, %zero: tensor<ui8>) -> tensor<200xui8> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %c = stablehlo.compare GE, %a, %b, UNSIGNED : (tensor<ui8>, tensor<ui8>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<ui8>, %b: tensor<ui8>):
    %r = stablehlo.add %a, %b : tensor<ui8>
    stablehlo.return %r : tensor<ui8>
  }) {window_dimensions = array<i64: 100>, window_strides = array<i64: 100>} : (tensor<200xui8>, tensor<2xui8>, tensor<ui8>) -> tensor<200xui8>
  return %0 : tensor<200xui8>
}

// -----

// CHECK: verify-profile-select-and-scatter.mlir:[[# @LINE + 2]]:8: error: select_and_scatter with windows that do not tile the operand needs static shapes
func.func @dynamic(%x: tensor<?xf32, #stablehlo.bounds<16>>, %g: tensor<?xf32, #stablehlo.bounds<16>>, %zero: tensor<f32>) -> tensor<?xf32, #stablehlo.bounds<16>> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GE, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %r = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %r : tensor<f32>
  }) {window_dimensions = array<i64: 3>, window_strides = array<i64: 2>} : (tensor<?xf32, #stablehlo.bounds<16>>, tensor<?xf32, #stablehlo.bounds<16>>, tensor<f32>) -> tensor<?xf32, #stablehlo.bounds<16>>
  return %0 : tensor<?xf32, #stablehlo.bounds<16>>
}

// -----

// CHECK: verify-profile-select-and-scatter.mlir:[[# @LINE + 2]]:8: error: select_and_scatter on complex<f64> is supported only with windows that tile the operand (window_strides equal to window_dimensions, no padding)
func.func @complex_f64(%x: tensor<5xcomplex<f64>>, %g: tensor<2xcomplex<f64>>, %zero: tensor<complex<f64>>) -> tensor<5xcomplex<f64>> {
  %0 = "stablehlo.select_and_scatter"(%x, %g, %zero) ({
  ^bb0(%a: tensor<complex<f64>>, %b: tensor<complex<f64>>):
    %c = stablehlo.compare EQ, %a, %b : (tensor<complex<f64>>, tensor<complex<f64>>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }, {
  ^bb0(%a: tensor<complex<f64>>, %b: tensor<complex<f64>>):
    %r = stablehlo.add %a, %b : tensor<complex<f64>>
    stablehlo.return %r : tensor<complex<f64>>
  }) {window_dimensions = array<i64: 3>, window_strides = array<i64: 2>} : (tensor<5xcomplex<f64>>, tensor<2xcomplex<f64>>, tensor<complex<f64>>) -> tensor<5xcomplex<f64>>
  return %0 : tensor<5xcomplex<f64>>
}
