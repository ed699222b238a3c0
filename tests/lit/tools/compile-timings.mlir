// --timings prints how long each phase took, after the compile; the live
// status lines appear only when stderr is a terminal, never here.

// RUN: webtensor-compile %s --no-cache --timings -o %t.vmfb 2>&1 | filecheck %s --check-prefix=TIMINGS
// RUN: webtensor-compile %s --compile-to=sandboxed --timings -o %t.mlir 2>&1 | filecheck %s --check-prefix=PHASE
// RUN: webtensor-compile %s --no-cache -o %t.vmfb 2>&1 | filecheck %s --check-prefix=QUIET --allow-empty

// TIMINGS-NOT: webtensor-compile:
// TIMINGS: phase      seconds
// TIMINGS-NEXT: legalized {{ *}}{{[0-9]+\.[0-9][0-9]}}
// TIMINGS-NEXT: sandboxed {{ *}}{{[0-9]+\.[0-9][0-9]}}
// TIMINGS-NEXT: linalg {{ *}}{{[0-9]+\.[0-9][0-9]}}
// TIMINGS-NEXT: vmfb {{ *}}{{[0-9]+\.[0-9][0-9]}}
// TIMINGS-NEXT: total {{ *}}{{[0-9]+\.[0-9][0-9]}}

// PHASE: legalized
// PHASE-NEXT: sandboxed
// PHASE-NEXT: total

// QUIET-NOT: {{.}}

func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.add %x, %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
