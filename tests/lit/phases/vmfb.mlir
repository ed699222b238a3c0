// RUN: webtensor-compile %s -o %t.vmfb
// RUN: webtensor-run %t.vmfb --function=main --input=2x3xf32=1,2,3,4,5,6 --input=2x3xf32=0.5 | filecheck %s
// RUN: webtensor-run %t.vmfb --input=2x3xf32=-1 --input=2x3xf32=1 | filecheck %s --check-prefix=DEFAULT

// A compiled artifact runs and prints its results the way iree-run-module does.

// CHECK:      EXEC @main
// CHECK-NEXT: result[0]: hal.buffer_view
// CHECK-NEXT: 2x3xf32=[1.5 2.5 3.5][4.5 5.5 6.5]
// CHECK-NEXT: result[1]: hal.buffer_view
// CHECK-NEXT: i32=7

// Without --function, main runs.
// DEFAULT:      EXEC @main
// DEFAULT-NEXT: result[0]: hal.buffer_view
// DEFAULT-NEXT: 2x3xf32=[0 0 0][0 0 0]
func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<i32>) {
  %0 = stablehlo.add %a, %b : tensor<2x3xf32>
  %1 = stablehlo.constant dense<7> : tensor<i32>
  return %0, %1 : tensor<2x3xf32>, tensor<i32>
}
