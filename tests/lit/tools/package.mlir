// A package is the portable program and its weights in one file:
// webtensor-compile --portable writes it, webtensor-inspect reads it without
// compiling, and webtensor-run compiles it for this host and runs it. An
// artifact compiled with bound weights reads them from --weights.

// RUN: webtensor-compile --portable %S/Inputs/model.py:affine --weights-argnums=0 -o %t.wtpkg
// RUN: webtensor-inspect %t.wtpkg | filecheck %s --check-prefix=INSPECT
// RUN: webtensor-run %t.wtpkg --input=2x3xf32=0,0,0,1,1,1 | filecheck %s --check-prefix=OUT
// RUN: webtensor-compile %S/Inputs/model.py:affine --weights-argnums=0 -o %t.vmfb
// RUN: webtensor-inspect %t.vmfb | filecheck %s --check-prefix=ARTIFACT
// RUN: webtensor-run %t.vmfb --weights=%t.wtpkg --input=2x3xf32=0,0,0,1,1,1 | filecheck %s --check-prefix=OUT
// RUN: not webtensor-run %t.vmfb --input=2x3xf32=0 2>&1 | filecheck %s --check-prefix=UNBOUND
// RUN: not webtensor-compile --portable %S/Inputs/model.py:affine --weights-argnums=x -o %t.x.wtpkg 2>&1 | filecheck %s --check-prefix=ARGNUMS
// RUN: not webtensor-compile --portable %S/Inputs/model.py:affine --weights-argnums=0 -o - 2>&1 | filecheck %s --check-prefix=STDOUT
// RUN: not webtensor-compile --portable %s -o %t.y.wtpkg --weights-argnums=0 2>&1 | filecheck %s --check-prefix=NOT-PYTHON

// INSPECT:      WebTensor package, format 1, {{.*}} bytes; every hash checks out
// INSPECT-NEXT: producer: webtensor {{.*}} (jax {{.*}})
// INSPECT-NEXT: profile:  webtensor-profile/1
// INSPECT-NEXT: program:  StableHLO {{[0-9.]+}} portable artifact
// INSPECT-NEXT: entry points:
// INSPECT-NEXT:   main(x: float32[2,3]) -> (result: float32[2,3]), reads 2 weights
// INSPECT-NEXT: ops: 7 in all
// INSPECT:        stablehlo.dot_general                   1
// INSPECT:      weights: 2 tensors, 48 bytes
// INSPECT-NEXT:   params['b']  float32[3]                           12
// INSPECT-NEXT:   params['w']  float32[3,3]                         36

// OUT: 2x3xf32=[0 0 0][0.761594 0.761594 0.761594]

// ARTIFACT:      WebTensor artifact for llvm-cpu
// ARTIFACT-NEXT: entry points:
// ARTIFACT-NEXT:   main(x: float32[2,3]) -> (result: float32[2,3])
// ARTIFACT-NEXT:     costs 100,570 work units up front
// ARTIFACT-NEXT: weights it reads (bind them at load): 2 tensors, 48 bytes

// UNBOUND: webtensor-run: error: this model reads 2 weights (48 bytes) and none are bound; {{.*}} webtensor-run --weights=FILE
// ARGNUMS: webtensor-compile: error: --weights-argnums takes argument positions such as 0 or 0,2, not 'x'
// STDOUT: webtensor-compile: error: a package is a file: give -o FILE.wtpkg
// NOT-PYTHON: webtensor-compile: error: --weights-argnums is for file.py:function inputs; StableHLO's weights are named by --weights
