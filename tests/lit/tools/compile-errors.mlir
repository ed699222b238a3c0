// Errors from webtensor-compile are one line each, located in the input file.

// RUN: not webtensor-compile %s --compile-to=legalized 2>&1 | filecheck %s
// RUN: not webtensor-compile %s 2>&1 | filecheck %s --check-prefix=NO-OUTPUT
// RUN: not webtensor-compile %S/does-not-exist.mlir -o %t.x 2>&1 | filecheck %s --check-prefix=MISSING
// RUN: not webtensor-compile %s --compile-to=bogus 2>&1 | filecheck %s --check-prefix=PHASE

// CHECK: compile-errors.mlir:[[# @LINE + 3]]:8: error: custom op 'stablehlo.not_an_op' is unknown
// CHECK-NOT: Traceback
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.not_an_op %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// NO-OUTPUT: webtensor-compile: error: an artifact is binary: give -o FILE (or '-o -' for stdout)
// MISSING: webtensor-compile: error: {{.*}}does-not-exist.mlir: no such file
// PHASE: webtensor-compile: error: unknown phase 'bogus'; valid values: input, legalized, sandboxed, linalg, vmfb
