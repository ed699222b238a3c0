// webtensor-compile takes an ONNX file: its float initializers are weights
// (arguments of the program, never constants), its int64 shape stays a
// constant, and a package carries the weights to run it.

// RUN: python %S/Inputs/make_onnx.py %t.onnx
// RUN: webtensor-compile %t.onnx --compile-to=legalized | filecheck %s --check-prefix=LEGALIZED
// RUN: webtensor-compile %t.onnx --portable -o %t.wtpkg
// RUN: webtensor-inspect %t.wtpkg | filecheck %s --check-prefix=INSPECT
// RUN: webtensor-run %t.wtpkg --input=4x4xf32=1,0,0,0,0,1,0,0,0,0,1,0,0,0,0,1 | filecheck %s --check-prefix=OUT
// RUN: webtensor-compile %t.onnx -o %t.vmfb
// RUN: webtensor-run %t.vmfb --print-signature | filecheck %s --check-prefix=SIGNATURE
// RUN: not webtensor-compile %t.missing.onnx -o %t.x 2>&1 | filecheck %s --check-prefix=MISSING

// LEGALIZED-LABEL: func.func @main
// LEGALIZED-SAME: (%[[X:.*]]: tensor<4x4xf32>, %[[W:.*]]: tensor<4x3xf32>, %[[B:.*]]: tensor<3xf32>) -> tensor<2x2x3xf32>
// LEGALIZED-NOT: dense_resource
// LEGALIZED: stablehlo.dot_general %[[X]], %[[W]]
// LEGALIZED: stablehlo.broadcast_in_dim %[[B]]
// LEGALIZED: stablehlo.reshape {{.*}} -> tensor<2x2x3xf32>

// INSPECT: main(x: float32[4,4]) -> (y: float32[2,2,3]), reads 2 weights
// INSPECT: weights: 2 tensors, 60 bytes
// INSPECT-NEXT: W float32[4,3]
// INSPECT-NEXT: b float32[3]

// OUT: 2x2x3xf32={{\[}}[0 0.1 1.2][0 0.4 1.5]{{\]\[}}[0 0.7 1.8][0 1 2.1]]

// SIGNATURE: main(x: float32[4,4]) -> (y: float32[2,2,3])

// MISSING: error: {{.*}}missing.onnx: no such file
