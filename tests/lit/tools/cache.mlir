// webtensor-compile stores an artifact in the compile cache and loads it from
// there the second time; --no-cache neither reads nor writes it.
// webtensor-cache shows what is there and clears it.

// RUN: rm -rf %t && mkdir -p %t
// RUN: env WEBTENSOR_CACHE_DIR=%t/cache webtensor-compile %s -o %t/first.vmfb
// RUN: env WEBTENSOR_CACHE_DIR=%t/cache webtensor-compile %s -o %t/second.vmfb
// RUN: env WEBTENSOR_CACHE_DIR=%t/cache webtensor-compile %s -o %t/third.vmfb --no-cache
// RUN: diff %t/first.vmfb %t/second.vmfb
// RUN: diff %t/first.vmfb %t/third.vmfb
// RUN: webtensor-run %t/second.vmfb --input=3xf32=1,2,3 | filecheck %s --check-prefix=OUT
// RUN: env WEBTENSOR_CACHE_DIR=%t/cache webtensor-cache info | filecheck %s --check-prefix=INFO
// RUN: webtensor-cache list --cache-dir=%t/cache | filecheck %s --check-prefix=LIST
// RUN: webtensor-cache clear --cache-dir=%t/cache | filecheck %s --check-prefix=CLEAR
// RUN: webtensor-cache info --cache-dir=%t/cache | filecheck %s --check-prefix=EMPTY
// RUN: not webtensor-cache prune --cache-dir=%t/cache 2>&1 | filecheck %s --check-prefix=USAGE

// OUT: 3xf32=[2 4 6]

// INFO:      directory: {{.*}}cache
// INFO-NEXT: entries: 1
// INFO-NEXT: size: {{[0-9.]+}} KiB of 2.0 GiB
// INFO-NEXT: hits: 1
// INFO-NEXT: misses: 1
// INFO-NEXT: rejected: 0

// LIST: {{[0-9a-f]+}} {{[0-9.]+}} KiB {{[0-9-]+ [0-9:]+}} {{.*}}cache.mlir for llvm-cpu

// CLEAR: removed 1 entries ({{[0-9.]+}} KiB) from {{.*}}cache

// EMPTY:      entries: 0
// EMPTY-NEXT: size: 0 B of 2.0 GiB
// EMPTY-NEXT: hits: 0
// EMPTY-NEXT: misses: 0

// USAGE: webtensor-cache: error: argument command: invalid choice: 'prune' (choose from {{.*}}info{{.*}}list{{.*}}clear{{.*}})

func.func @main(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.add %x, %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}
