// A StableHLO portable artifact (VHLO bytecode from jax.export) compiles like
// text, keeps the JAX source locations, and runs.

// RUN: webtensor-compile %S/Inputs/portable.mlirbc --compile-to=input --print-debuginfo | filecheck %s --check-prefix=INPUT
// RUN: webtensor-compile %S/Inputs/portable.mlirbc -o %t.vmfb
// RUN: webtensor-run %t.vmfb --input=4xf32=0,1,2,3 | filecheck %s --check-prefix=OUT

// INPUT: func.func public @main
// INPUT: stablehlo.sine
// INPUT: make_portable.py":8
// OUT: 4xf32=[0 1.68294 1.81859 0.28224]
