// RUN: webtensor-opt %s -p webtensor-expand-fft --split-input-file | filecheck %s
// RUN: webtensor-opt %s -p "webtensor-expand-fft{iree_fft=false}" --split-input-file | filecheck %s --check-prefix=NO-IREE

// A complex<f64> FFT: the real and imaginary parts times cos and -sin
// matrices (two f64 constants, not one complex<f64>), recombined.

// CHECK-LABEL: func.func @fft_f64
// CHECK-SAME:    (%[[X:.*]]: tensor<2x4xcomplex<f64>>)
// CHECK-NOT:     stablehlo.fft
// CHECK-DAG:     %[[RE:.*]] = stablehlo.real %[[X]] : (tensor<2x4xcomplex<f64>>) -> tensor<2x4xf64>
// CHECK-DAG:     %[[IM:.*]] = stablehlo.imag %[[X]] : (tensor<2x4xcomplex<f64>>) -> tensor<2x4xf64>
// CHECK-DAG:     %[[COS:.*]] = stablehlo.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00], [1.000000e+00, 0.000000e+00, -1.000000e+00, 0.000000e+00], [1.000000e+00, -1.000000e+00, 1.000000e+00, -1.000000e+00], [1.000000e+00, 0.000000e+00, -1.000000e+00, 0.000000e+00]]> : tensor<4x4xf64>
// CHECK-DAG:     %[[MINUS_SIN:.*]] = stablehlo.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, -1.000000e+00, 0.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 1.000000e+00, 0.000000e+00, -1.000000e+00]]> : tensor<4x4xf64>
// CHECK:         %[[RC:.*]] = stablehlo.dot_general %[[RE]], %[[COS]], contracting_dims = [1] x [0] : (tensor<2x4xf64>, tensor<4x4xf64>) -> tensor<2x4xf64>
// CHECK:         %[[IS:.*]] = stablehlo.dot_general %[[IM]], %[[MINUS_SIN]], contracting_dims = [1] x [0]
// CHECK:         %[[REAL:.*]] = stablehlo.subtract %[[RC]], %[[IS]]
// CHECK:         %[[RS:.*]] = stablehlo.dot_general %[[RE]], %[[MINUS_SIN]], contracting_dims = [1] x [0]
// CHECK:         %[[IC:.*]] = stablehlo.dot_general %[[IM]], %[[COS]], contracting_dims = [1] x [0]
// CHECK:         %[[IMAG:.*]] = stablehlo.add %[[IC]], %[[RS]]
// CHECK:         %[[Z:.*]] = stablehlo.complex %[[REAL]], %[[IMAG]] : tensor<2x4xcomplex<f64>>
// CHECK:         return %[[Z]]
func.func @fft_f64(%x: tensor<2x4xcomplex<f64>>) -> tensor<2x4xcomplex<f64>> {
  %0 = stablehlo.fft %x, type = FFT, length = [4] : (tensor<2x4xcomplex<f64>>) -> tensor<2x4xcomplex<f64>>
  return %0 : tensor<2x4xcomplex<f64>>
}

// -----

// IFFT: cos and +sin, each over N.

// CHECK-LABEL: func.func @ifft_f64
// CHECK-DAG:     stablehlo.constant dense<{{\[\[}}5.000000e-01, 5.000000e-01], [5.000000e-01, -5.000000e-01]]> : tensor<2x2xf64>
// CHECK-DAG:     stablehlo.constant dense<0.000000e+00> : tensor<2x2xf64>
// CHECK:         stablehlo.complex
func.func @ifft_f64(%x: tensor<2xcomplex<f64>>) -> tensor<2xcomplex<f64>> {
  %0 = stablehlo.fft %x, type = IFFT, length = [2] : (tensor<2xcomplex<f64>>) -> tensor<2xcomplex<f64>>
  return %0 : tensor<2xcomplex<f64>>
}

// -----

// IRFFT: N/2 + 1 inputs to N real outputs; the inputs that stand for their
// conjugate too count twice, and Im X[0] and Im X[N/2] not at all (their
// sine rows are 0). No imaginary part is computed.

// CHECK-LABEL: func.func @irfft_f64
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xcomplex<f64>>)
// CHECK-DAG:     %[[RE:.*]] = stablehlo.real %[[X]]
// CHECK-DAG:     %[[IM:.*]] = stablehlo.imag %[[X]]
// CHECK-DAG:     %[[A:.*]] = stablehlo.constant dense<{{\[\[}}2.500000e-01, 2.500000e-01, 2.500000e-01, 2.500000e-01], [5.000000e-01, 0.000000e+00, -5.000000e-01, 0.000000e+00], [2.500000e-01, -2.500000e-01, 2.500000e-01, -2.500000e-01]]> : tensor<3x4xf64>
// CHECK-DAG:     %[[B:.*]] = stablehlo.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, 5.000000e-01, 0.000000e+00, -5.000000e-01], [0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]> : tensor<3x4xf64>
// CHECK:         %[[RA:.*]] = stablehlo.dot_general %[[RE]], %[[A]], contracting_dims = [1] x [0] : (tensor<2x3xf64>, tensor<3x4xf64>) -> tensor<2x4xf64>
// CHECK:         %[[IB:.*]] = stablehlo.dot_general %[[IM]], %[[B]], contracting_dims = [1] x [0]
// CHECK:         %[[Y:.*]] = stablehlo.subtract %[[RA]], %[[IB]] : tensor<2x4xf64>
// CHECK-NOT:     stablehlo.complex
// CHECK:         return %[[Y]]
func.func @irfft_f64(%x: tensor<2x3xcomplex<f64>>) -> tensor<2x4xf64> {
  %0 = stablehlo.fft %x, type = IRFFT, length = [4] : (tensor<2x3xcomplex<f64>>) -> tensor<2x4xf64>
  return %0 : tensor<2x4xf64>
}

// -----

// RFFT over two dimensions in f32: the last one real to complex, keeping
// N/2 + 1 columns, then a complex DFT along the first, contracted there and
// transposed back into place.

// CHECK-LABEL: func.func @rfft_2d
// CHECK-SAME:    (%[[X:.*]]: tensor<3x4xf32>)
// CHECK:         %[[RE:.*]] = stablehlo.dot_general %[[X]], %{{.*}}, contracting_dims = [1] x [0] : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
// CHECK:         %[[IM:.*]] = stablehlo.dot_general %[[X]], %{{.*}}, contracting_dims = [1] x [0] : (tensor<3x4xf32>, tensor<4x3xf32>) -> tensor<3x3xf32>
// CHECK-DAG:     %[[COS3:.*]] = stablehlo.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00, 1.000000e+00], [1.000000e+00, -5.000000e-01, -5.000000e-01], [1.000000e+00, -5.000000e-01, -5.000000e-01]]> : tensor<3x3xf32>
// CHECK-DAG:     %[[SIN3:.*]] = stablehlo.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00], [0.000000e+00, -0.866025388, 0.866025388], [0.000000e+00, 0.866025388, -0.866025388]]> : tensor<3x3xf32>
// CHECK:         %[[P:.*]] = stablehlo.dot_general %[[RE]], %[[COS3]], contracting_dims = [0] x [0]
// CHECK:         stablehlo.transpose %[[P]], dims = [1, 0]
// CHECK:         %[[Z:.*]] = stablehlo.complex
// CHECK:         return %[[Z]] : tensor<3x3xcomplex<f32>>
func.func @rfft_2d(%x: tensor<3x4xf32>) -> tensor<3x3xcomplex<f32>> {
  %0 = stablehlo.fft %x, type = RFFT, length = [3, 4] : (tensor<3x4xf32>) -> tensor<3x3xcomplex<f32>>
  return %0 : tensor<3x3xcomplex<f32>>
}

// -----

// An f32 FFT along one power-of-two dimension is IREE's, but where
// `iree_fft` is off (vulkan-spirv, where IREE's FFT does not compile).

// CHECK-LABEL: func.func @f32_power_of_two
// CHECK:         stablehlo.fft %{{.*}}, type = FFT, length = [8]
// NO-IREE-LABEL: func.func @f32_power_of_two
// NO-IREE-NOT:   stablehlo.fft
// NO-IREE:       stablehlo.dot_general
// NO-IREE:       stablehlo.complex
func.func @f32_power_of_two(%x: tensor<8xcomplex<f32>>) -> tensor<8xcomplex<f32>> {
  %0 = stablehlo.fft %x, type = FFT, length = [8] : (tensor<8xcomplex<f32>>) -> tensor<8xcomplex<f32>>
  return %0 : tensor<8xcomplex<f32>>
}
