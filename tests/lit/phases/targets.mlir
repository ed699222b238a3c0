// The GPU targets compile on a machine without a GPU. Running them needs one;
// asking a CPU device to run a CUDA artifact is a clear error, not a crash.

// RUN: webtensor-compile %s --target=vulkan-spirv -o %t.vulkan.vmfb
// RUN: webtensor-compile %s --target=cuda -o %t.cuda.vmfb
// RUN: webtensor-compile %s --target=llvm-cpu --target-cpu=generic -o %t.generic.vmfb
// RUN: webtensor-run %t.generic.vmfb --input=4xf32=1,2,3,4 | filecheck %s --check-prefix=CPU
// RUN: not webtensor-run %t.cuda.vmfb --device=local-task --input=4xf32=1,2,3,4 2>&1 | filecheck %s --check-prefix=WRONG-DEVICE
// RUN: not webtensor-compile %s --target=metal -o %t.x 2>&1 | filecheck %s --check-prefix=BAD-TARGET
// RUN: not webtensor-compile %s --target=cuda --cuda-arch=sm_90 -o %t.x 2>&1 | filecheck %s --check-prefix=BAD-ARCH

// CPU: 4xf32=[2 4 6 8]
// WRONG-DEVICE: webtensor-run: error: this artifact was compiled for target 'cuda' and cannot run on device 'local-task' (which runs 'llvm-cpu' artifacts)
// BAD-TARGET: webtensor-compile: error: unknown target 'metal'; valid values: llvm-cpu, vulkan-spirv, cuda, wasm32
// BAD-ARCH: webtensor-compile: error: unknown CUDA architecture 'sm_90'; valid values: sm_60, sm_70, sm_75, sm_80, sm_86, sm_89
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.add %a, %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}
