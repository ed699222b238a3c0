// The mistakes a new user makes first, each answered by one true line.

// A .py file without :function is not parsed as MLIR: the error names the
// functions to choose from.
// RUN: not webtensor-compile %S/Inputs/model.py -o %t.x 2>&1 | filecheck %s --check-prefix=NO-FUNCTION
// NO-FUNCTION: webtensor-compile: error: {{.*}}model.py is Python: name the function to compile, e.g. {{.*}}model.py:affine (functions: affine, double, stats)

// A CPU name LLVM does not know is refused before any compile starts.
// RUN: not webtensor-compile %s --target-cpu=nosuchcpu -o %t.x 2>&1 | filecheck %s --check-prefix=CPU
// CPU: webtensor-compile: error: unknown target CPU 'nosuchcpu'; valid values: host, generic, {{.+}}
// CPU-NOT: LLVM ERROR

// A limit that many ops break is reported once, with a count of the other ops; --debug adds a
// traceback but does not repeat the message.
// RUN: not webtensor-compile %s --limit=max_tensor_elements=4 --compile-to=legalized 2>&1 | filecheck %s --check-prefix=LIMIT
// LIMIT: compile-mistakes.mlir:[[# @LINE + 17]]:8: error: tensor<2x4xf32> has 8 elements, above the limit of 4
// LIMIT-NEXT: compile-mistakes.mlir: note: 3 more ops have this error, at lines [[# @LINE + 17]], [[# @LINE + 18]], [[# @LINE + 19]]
// LIMIT-NEXT: error: the legalized phase failed
// RUN: not webtensor-compile %s --limit=max_tensor_elements=4 --compile-to=legalized --debug 2>&1 | filecheck %s --check-prefix=DEBUG
// DEBUG: Traceback (most recent call last):
// DEBUG: error: tensor<2x4xf32> has 8 elements, above the limit of 4
// DEBUG-NOT: error: tensor<2x4xf32>

// Locations name the input, a file or stdin, never MLIR's "-".
// RUN: webtensor-compile %s --compile-to=legalized --print-debuginfo | filecheck %s --check-prefix=FILE-LOC
// FILE-LOC: loc("{{.*}}compile-mistakes.mlir":[[# @LINE + 7]]:8)
// RUN: webtensor-compile - --compile-to=legalized --print-debuginfo < %s | filecheck %s --check-prefix=STDIN-LOC
// STDIN-LOC: loc("<stdin>":[[# @LINE + 5]]:8)
// RUN: not webtensor-compile - --limit=max_tensor_elements=4 --compile-to=legalized < %s 2>&1 | filecheck %s --check-prefix=STDIN-ERROR
// STDIN-ERROR: <stdin>:[[# @LINE + 3]]:8: error: tensor<2x4xf32> has 8 elements, above the limit of 4

func.func @main(%x: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = stablehlo.add %x, %x : tensor<2x4xf32>
  %1 = stablehlo.multiply %0, %x : tensor<2x4xf32>
  %2 = stablehlo.subtract %1, %x : tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}
