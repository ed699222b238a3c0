// webtensor-run reads complex tensors as it prints them: 3xcomplex<f32>,
// values written 1+2i (IREE's spelling; Python's 1+2j is accepted too).

// RUN: webtensor-compile %s -o %t.vmfb
// RUN: webtensor-run %t.vmfb "--input=3xcomplex<f32>=1" | filecheck %s --check-prefix=FILL
// RUN: webtensor-run %t.vmfb --input="3xcomplex<f32>=[1+2i 3-1.5i -0.5+0i]" | filecheck %s --check-prefix=VALUES
// RUN: webtensor-run %t.vmfb "--input=3xcomplex<f32>=1+2j,0,-1j" | filecheck %s --check-prefix=PYTHON
// RUN: not webtensor-run %t.vmfb "--input=3complex<f32>=1" 2>&1 | filecheck %s --check-prefix=MALFORMED

// FILL: 3xcomplex<f32>=[2+0i 2+0i 2+0i]
// VALUES: 3xcomplex<f32>=[2+4i 6-3i -1+0i]
// PYTHON: 3xcomplex<f32>=[2+4i 0+0i 0-2i]
// MALFORMED: webtensor-run: error: malformed shape in '3complex<f32>'; write e.g. 2x3xcomplex<f32>
func.func @main(%a: tensor<3xcomplex<f32>>) -> tensor<3xcomplex<f32>> {
  %0 = stablehlo.add %a, %a : tensor<3xcomplex<f32>>
  return %0 : tensor<3xcomplex<f32>>
}
