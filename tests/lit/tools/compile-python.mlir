// webtensor-compile takes a JAX function as path/to/file.py:function, with
// argument types from --input or from example_args() in the file.

// RUN: webtensor-compile %S/Inputs/model.py:double --input=3xf32 -o %t.double.vmfb
// RUN: webtensor-run %t.double.vmfb --input=3xf32=1,2,3 | filecheck %s --check-prefix=DOUBLE
// RUN: webtensor-compile %S/Inputs/model.py:affine -o %t.affine.vmfb
// RUN: webtensor-run %t.affine.vmfb --print-signature | filecheck %s --check-prefix=SIGNATURE
// RUN: webtensor-run %t.affine.vmfb --input=3xf32=0 --input=3x3xf32=1,0,0,0,1,0,0,0,1 --input=2x3xf32=0,0,0,1,1,1 | filecheck %s --check-prefix=AFFINE
// RUN: webtensor-compile %S/Inputs/model.py:stats --input=4xf32 -o %t.stats.vmfb
// RUN: webtensor-run %t.stats.vmfb --input=4xf32=1,2,3,6 | filecheck %s --check-prefix=DICT
// RUN: not webtensor-compile %S/Inputs/model.py:missing -o %t.x 2>&1 | filecheck %s --check-prefix=MISSING
// RUN: not webtensor-compile %S/Inputs/model.py:double --input=3xq7 -o %t.x 2>&1 | filecheck %s --check-prefix=BAD-TYPE

// DOUBLE: 3xf32=[2 4 6]
// SIGNATURE: main(params['b']: float32[3], params['w']: float32[3,3], x: float32[2,3]) -> (result: float32[2,3])
// AFFINE: 2x3xf32=[0 0 0][0.761594 0.761594 0.761594]
// DICT: EXEC @main
// DICT-NEXT: result['max']: hal.buffer_view
// DICT-NEXT: f32=6
// DICT-NEXT: result['mean']: hal.buffer_view
// DICT-NEXT: f32=3
// MISSING: webtensor-compile: error: {{.*}}model.py has no function 'missing'
// BAD-TYPE: webtensor-compile: error: unknown element type 'q7' in '3xq7'; valid: i1, i8, i16, i32, i64, ui8, ui16, ui32, ui64, f16, bf16, f32, f64, complex<f32>, complex<f64>
