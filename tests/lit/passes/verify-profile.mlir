// RUN: webtensor-opt %s -p webtensor-verify-profile --split-input-file --verify-diagnostics | filecheck %s
// RUN: webtensor-opt %s -p "webtensor-verify-profile{max_rank=2 max_constant_bytes=64 max_live_bytes=4000 max_ops=12}" --split-input-file --verify-diagnostics | filecheck %s --check-prefix=LIMITS
// RUN: webtensor-opt %s -p "webtensor-verify-profile{dynamic_dim_bound=16}" --split-input-file --verify-diagnostics | filecheck %s --check-prefix=BOUND
// RUN: webtensor-opt %s -p "webtensor-verify-profile{max_tensor_elements=1048576 max_live_bytes=1048576}" --split-input-file --verify-diagnostics | filecheck %s --check-prefix=MEMORY
// RUN: webtensor-opt %s -p "webtensor-verify-profile{max_live_bytes=1048576}" --split-input-file --verify-diagnostics | filecheck %s --check-prefix=LIVE

// A module inside the profile passes unchanged.

// CHECK-LABEL: func.func @allowed
// CHECK:         stablehlo.while
// CHECK:         stablehlo.dot_general
func.func @allowed(%x: tensor<4x4xf32>, %n: tensor<i32>) -> tensor<4x4xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %r:2 = stablehlo.while(%i = %zero, %acc = %x) : tensor<i32>, tensor<4x4xf32>
    cond {
      %c = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %next = stablehlo.add %i, %one : tensor<i32>
      %d = stablehlo.dot_general %acc, %acc, contracting_dims = [1] x [0] : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
      stablehlo.return %next, %d : tensor<i32>, tensor<4x4xf32>
    }
  return %r#1 : tensor<4x4xf32>
}

// -----

// CHECK: verify-profile.mlir:[[# @LINE + 2]]:8: error: 'stablehlo.custom_call' is not allowed: it hands control to the host or another device
func.func @custom_call(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.custom_call @host_callback(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: verify-profile.mlir:[[# @LINE + 2]]:8: error: 'stablehlo.all_reduce' is not allowed: collectives need other devices; WebTensor runs single-device models
func.func @collective(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "stablehlo.all_reduce"(%x) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {replica_groups = dense<[[0]]> : tensor<1x1xi64>} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: verify-profile.mlir:[[# @LINE + 3]]:8: error: 'stablehlo.rng' is not allowed: its results are implementation-defined; use rng_bit_generator
func.func @rng(%a: tensor<f32>, %b: tensor<f32>) -> tensor<4xf32> {
  %shape = stablehlo.constant dense<[4]> : tensor<1xi64>
  %0 = stablehlo.rng %a, %b, %shape, distribution = UNIFORM : (tensor<f32>, tensor<f32>, tensor<1xi64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Element types per op: StableHLO allows a complex cube root, IREE 3.13
// cannot lower one.

// CHECK: verify-profile.mlir:[[# @LINE + 2]]:8: error: 'stablehlo.cbrt' does not take complex<f32>; it takes f16, bf16, f32, f64
func.func @complex_cbrt(%x: tensor<4xcomplex<f32>>) -> tensor<4xcomplex<f32>> {
  %0 = stablehlo.cbrt %x : tensor<4xcomplex<f32>>
  return %0 : tensor<4xcomplex<f32>>
}

// -----

// A tensor of 10^12 elements is refused.

// CHECK: verify-profile.mlir:[[# @LINE + 2]]:8: error: tensor<1000000x1000000xf32> has 1000000000000 elements, above the limit of 2147483648
func.func @huge(%x: tensor<f32>) -> tensor<1000000x1000000xf32> {
  %0 = stablehlo.broadcast_in_dim %x, dims = [] : (tensor<f32>) -> tensor<1000000x1000000xf32>
  return %0 : tensor<1000000x1000000xf32>
}

// -----

// Shapes that only agree after 64-bit wrap-around: 2^63-1 + 2^63-1 + 6 = 2^64 + 4.

// CHECK: verify-profile.mlir:[[# @LINE + 2]]:8: error: attribute 'edge_padding_high' holds 9223372036854775807, beyond any tensor size the profile allows
func.func @pad_wraps(%x: tensor<6xf32>, %p: tensor<f32>) -> tensor<4xf32> {
  %0 = stablehlo.pad %x, %p, low = [9223372036854775807], high = [9223372036854775807], interior = [0] : (tensor<6xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// CHECK: verify-profile.mlir:[[# @LINE + 3]]:8: error: tensor<9223372036854775807xf32> has 9223372036854775807 elements, above the limit of 2147483648
// CHECK: verify-profile.mlir:[[# @LINE + 2]]:8: error: concatenate result dimension 0 is 4, but its operands add up to 18446744073709551620
func.func @concatenate_wraps(%a: tensor<9223372036854775807xf32>, %b: tensor<9223372036854775807xf32>, %c: tensor<6xf32>) -> tensor<4xf32> {
  %0 = stablehlo.concatenate %a, %b, %c, dim = 0 : (tensor<9223372036854775807xf32>, tensor<9223372036854775807xf32>, tensor<6xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A loop inside a reducer cannot be given an iteration budget.

// CHECK: verify-profile.mlir:[[# @LINE + 6]]:12: error: 'stablehlo.while' inside 'stablehlo.reduce' is not allowed: control flow may appear only in functions and in other control flow, where the iteration budget reaches it
func.func @loop_in_reducer(%x: tensor<4xf32>) -> tensor<f32> {
  %init = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = stablehlo.reduce(%x init: %init) across dimensions = [0] : (tensor<4xf32>, tensor<f32>) -> tensor<f32>
    reducer(%a: tensor<f32>, %b: tensor<f32>) {
      %t = stablehlo.constant dense<true> : tensor<i1>
      %w = stablehlo.while(%v = %a) : tensor<f32>
        cond {
          stablehlo.return %t : tensor<i1>
        } do {
          stablehlo.return %v : tensor<f32>
        }
      stablehlo.return %w : tensor<f32>
    }
  return %0 : tensor<f32>
}

// -----

// A condition returns only its predicate, so the budget cannot flow through
// a loop there: refused at any depth (here inside a branch).

// CHECK: verify-profile.mlir:[[# @LINE + 6]]:14: error: 'stablehlo.while' inside the condition of 'stablehlo.while' is not allowed: the iteration budget reaches loops in bodies and branches, not in conditions
func.func @loop_in_condition(%x: tensor<i32>, %p: tensor<i1>) -> tensor<i32> {
  %t = stablehlo.constant dense<true> : tensor<i1>
  %r = stablehlo.while(%a = %x) : tensor<i32>
    cond {
      %b = "stablehlo.if"(%p) ({
        %w = stablehlo.while(%v = %a) : tensor<i32>
          cond {
            stablehlo.return %t : tensor<i1>
          } do {
            stablehlo.return %v : tensor<i32>
          }
        stablehlo.return %w : tensor<i32>
      }, {
        stablehlo.return %a : tensor<i32>
      }) : (tensor<i1>) -> tensor<i32>
      %c = stablehlo.compare LT, %b, %a : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      stablehlo.return %a : tensor<i32>
    }
  return %r : tensor<i32>
}

// -----

// Dynamic dimensions need a bound, declared or from the host.

// CHECK: verify-profile.mlir:[[# @LINE + 3]]:8: error: dimension 0 of tensor<?xf32> is dynamic with no upper bound; declare one (#stablehlo.bounds) or have the host set dynamic_dim_bound
// BOUND-LABEL: func.func @unbounded
func.func @unbounded(%x: tensor<?xf32>) -> tensor<?xf32> {
  %0 = stablehlo.add %x, %x : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// LIMITS: verify-profile.mlir:[[# @LINE + 2]]:8: error: rank 3 is above the limit of 2
func.func @rank3(%x: tensor<2x2x2xf32>) -> tensor<2x2x2xf32> {
  %0 = stablehlo.add %x, %x : tensor<2x2x2xf32>
  return %0 : tensor<2x2x2xf32>
}

// -----

// LIMITS: verify-profile.mlir:[[# @LINE + 1]]:1: error: constants take 80 bytes, above the limit of 64; pass large arrays (weights) as arguments instead
func.func @constants(%x: tensor<10xf64>) -> tensor<10xf64> {
  %c = stablehlo.constant dense<[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0]> : tensor<10xf64>
  %0 = stablehlo.add %x, %c : tensor<10xf64>
  return %0 : tensor<10xf64>
}

// -----

// Each 16x16xf32 tensor is 1 KiB; at most four are live at once.

// LIMITS: verify-profile.mlir:[[# @LINE + 1]]:1: error: @live needs an estimated 4096 bytes of live tensors, above the limit of 4000
func.func @live(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %a = stablehlo.add %x, %x : tensor<16x16xf32>
  %b = stablehlo.multiply %x, %x : tensor<16x16xf32>
  %c = stablehlo.subtract %x, %x : tensor<16x16xf32>
  %d = stablehlo.add %a, %b : tensor<16x16xf32>
  %e = stablehlo.add %d, %c : tensor<16x16xf32>
  return %e : tensor<16x16xf32>
}

// -----

// LIMITS: verify-profile.mlir:[[# @LINE + 1]]:1: error: the module has 13 ops, above the limit of 12
func.func @many_ops(%x: tensor<f32>) -> tensor<f32> {
  %0 = stablehlo.add %x, %x : tensor<f32>
  %1 = stablehlo.add %0, %x : tensor<f32>
  %2 = stablehlo.add %1, %x : tensor<f32>
  %3 = stablehlo.add %2, %x : tensor<f32>
  %4 = stablehlo.add %3, %x : tensor<f32>
  %5 = stablehlo.add %4, %x : tensor<f32>
  %6 = stablehlo.add %5, %x : tensor<f32>
  %7 = stablehlo.add %6, %x : tensor<f32>
  %8 = stablehlo.add %7, %x : tensor<f32>
  %9 = stablehlo.add %8, %x : tensor<f32>
  return %9 : tensor<f32>
}

// -----

// FFTs: IREE 3.13's own in f32 along one power-of-two dimension, at any
// length; every other (f64, other lengths, two or three dimensions) is a DFT
// by matrix products (webtensor-expand-fft), of lengths up to 1024.

// CHECK-LABEL: func.func @ffts_in_the_profile
// CHECK-COUNT-4: stablehlo.fft
func.func @ffts_in_the_profile(%z: tensor<8xcomplex<f64>>, %h: tensor<4xcomplex<f32>>, %m: tensor<6x10xcomplex<f32>>, %r: tensor<4096xf32>) -> (tensor<8xcomplex<f64>>, tensor<7xf32>, tensor<6x10xcomplex<f32>>, tensor<2049xcomplex<f32>>) {
  %0 = stablehlo.fft %z, type = FFT, length = [8] : (tensor<8xcomplex<f64>>) -> tensor<8xcomplex<f64>>
  %1 = stablehlo.fft %h, type = IRFFT, length = [7] : (tensor<4xcomplex<f32>>) -> tensor<7xf32>
  %2 = stablehlo.fft %m, type = FFT, length = [6, 10] : (tensor<6x10xcomplex<f32>>) -> tensor<6x10xcomplex<f32>>
  %3 = stablehlo.fft %r, type = RFFT, length = [4096] : (tensor<4096xf32>) -> tensor<2049xcomplex<f32>>
  return %0, %1, %2, %3 : tensor<8xcomplex<f64>>, tensor<7xf32>, tensor<6x10xcomplex<f32>>, tensor<2049xcomplex<f32>>
}

// -----

// CHECK: verify-profile.mlir:[[# @LINE + 2]]:8: error: an fft of length [2048] is not in the profile: beyond IREE's own FFT (f32, one power-of-two dimension) it is a DFT by matrix products, of lengths up to 1024
func.func @f64_fft_too_long(%x: tensor<2048xcomplex<f64>>) -> tensor<2048xcomplex<f64>> {
  %0 = stablehlo.fft %x, type = FFT, length = [2048] : (tensor<2048xcomplex<f64>>) -> tensor<2048xcomplex<f64>>
  return %0 : tensor<2048xcomplex<f64>>
}

// -----

// CHECK: verify-profile.mlir:[[# @LINE + 2]]:8: error: an fft of length [1025] is not in the profile: beyond IREE's own FFT (f32, one power-of-two dimension) it is a DFT by matrix products, of lengths up to 1024
func.func @odd_fft_too_long(%x: tensor<1025xf32>) -> tensor<513xcomplex<f32>> {
  %0 = stablehlo.fft %x, type = RFFT, length = [1025] : (tensor<1025xf32>) -> tensor<513xcomplex<f32>>
  return %0 : tensor<513xcomplex<f32>>
}

// -----

// IREE 3.13 cannot make a buffer of complex<f64> constants (a 128-bit
// fill): a returned one, a splat, a pad; read inside a computation they work.

// CHECK: verify-profile.mlir:[[# @LINE + 3]]:8: error: a complex<f64> constant that is returned, carried by a loop or a branch, or passed to optimization_barrier is not in the profile: IREE 3.13 cannot make a buffer of it; pass it as an argument, or use complex<f32>
// CHECK: verify-profile.mlir:[[# @LINE + 3]]:8: error: a complex<f64> constant whose elements are all equal is not in the profile: IREE 3.13 cannot fill a buffer with a 128-bit value; pass it as an argument, or use complex<f32>
func.func @complex_f64_constants(%x: tensor<2xcomplex<f64>>) -> (tensor<2xcomplex<f64>>, tensor<2xcomplex<f64>>, tensor<2xcomplex<f64>>) {
  %0 = stablehlo.constant dense<[(1.0, 2.0), (3.0, 4.0)]> : tensor<2xcomplex<f64>>
  %1 = stablehlo.constant dense<(1.0, 2.0)> : tensor<2xcomplex<f64>>
  %2 = stablehlo.constant dense<[(1.0, 2.0), (3.0, 4.0)]> : tensor<2xcomplex<f64>>
  %3 = stablehlo.add %x, %1 : tensor<2xcomplex<f64>>
  %4 = stablehlo.add %x, %2 : tensor<2xcomplex<f64>>
  return %0, %3, %4 : tensor<2xcomplex<f64>>, tensor<2xcomplex<f64>>, tensor<2xcomplex<f64>>
}

// -----

// CHECK: verify-profile.mlir:[[# @LINE + 2]]:8: error: 'stablehlo.pad' does not take complex<f64>; it takes i1, i8, i16, i32, i64, ui8, ui16, ui32, ui64, f16, bf16, f32, f64, complex<f32>
func.func @pad_complex_f64(%x: tensor<2xcomplex<f64>>, %p: tensor<complex<f64>>) -> tensor<4xcomplex<f64>> {
  %0 = stablehlo.pad %x, %p, low = [1], high = [1], interior = [0] : (tensor<2xcomplex<f64>>, tensor<complex<f64>>) -> tensor<4xcomplex<f64>>
  return %0 : tensor<4xcomplex<f64>>
}

// -----

// Buffers IREE materialises count too. A 1x1 convolution padded by 32767
// with stride 32768 has a 1x1 result, but IREE pads its input to 32768x32768
// (4 GiB) first: its elements and bytes count.

// MEMORY: verify-profile.mlir:[[# @LINE + 3]]:8: error: the padded input of this convolution has 1073741824 elements, above the limit of 1048576
// LIVE: verify-profile.mlir:[[# @LINE + 1]]:1: error: @conv_padded needs an estimated 4294967308 bytes of live tensors, above the limit of 1048576
func.func @conv_padded(%x: tensor<1x1x1x1xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32> {
  %0 = stablehlo.convolution(%x, %w) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {stride = [32768, 32768], pad = [[32767, 0], [32767, 0]]} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<1x1x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x1x1xf32>
  return %0 : tensor<1x1x1x1xf32>
}

// -----

// The padded input of a reduce_window counts against max_live_bytes too:
// 8 elements padded to 2^29 (2 GiB).

// LIVE: verify-profile.mlir:[[# @LINE + 1]]:1: error: @window_padded needs an estimated 2147483728 bytes of live tensors, above the limit of 1048576
func.func @window_padded(%x: tensor<8xf32>) -> tensor<8xf32> {
  %init = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %init) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) {window_dimensions = array<i64: 1>, window_strides = array<i64: 67108864>, padding = dense<[[536870904, 0]]> : tensor<1x2xi64>} : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

// A convolution in IREE's own layout, unpadded, needs nothing beyond its
// operands and result (512 KiB and 4 bytes); in another layout IREE copies
// its input, kernel and result into that one (1 MiB and 8 bytes).

// LIVE-LABEL: func.func @conv_nhwc
func.func @conv_nhwc(%x: tensor<1x256x256x1xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x256x256x1xf32> {
  %0 = stablehlo.convolution(%x, %w) dim_numbers = [b, 0, 1, f]x[0, 1, i, o]->[b, 0, 1, f], window = {} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<1x256x256x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x256x256x1xf32>
  return %0 : tensor<1x256x256x1xf32>
}

// -----

// LIVE: verify-profile.mlir:[[# @LINE + 1]]:1: error: @conv_nchw needs an estimated 1048584 bytes of live tensors, above the limit of 1048576
func.func @conv_nchw(%x: tensor<1x1x256x256xf32>, %w: tensor<1x1x1x1xf32>) -> tensor<1x1x256x256xf32> {
  %0 = stablehlo.convolution(%x, %w) dim_numbers = [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1], window = {} {batch_group_count = 1 : i64, feature_group_count = 1 : i64} : (tensor<1x1x256x256xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x256x256xf32>
  return %0 : tensor<1x1x256x256xf32>
}

// -----

// IREE transposes a dot_general's operand that is not laid out batch, free,
// contracting (lhs) or batch, contracting, free (rhs): that copy counts.

// LIMITS-LABEL: func.func @dot_in_order
func.func @dot_in_order(%x: tensor<16x16xf32>, %y: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %0 = stablehlo.dot_general %x, %y, contracting_dims = [1] x [0] : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %0 : tensor<16x16xf32>
}

// -----

// LIMITS: verify-profile.mlir:[[# @LINE + 1]]:1: error: @dot_transposed needs an estimated 4096 bytes of live tensors, above the limit of 4000
func.func @dot_transposed(%x: tensor<16x16xf32>, %y: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %0 = stablehlo.dot_general %x, %y, contracting_dims = [1] x [1] : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  return %0 : tensor<16x16xf32>
}

// -----

// IREE copies a scatter's updates whose window dims do not trail (3112
// bytes without the copy).

// LIMITS: verify-profile.mlir:[[# @LINE + 1]]:1: error: @scatter_window_first needs an estimated 4136 bytes of live tensors, above the limit of 4000
func.func @scatter_window_first(%x: tensor<8x32xf32>, %i: tensor<8x1xi32>, %u: tensor<32x8xf32>) -> tensor<8x32xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, indices_are_sorted = false, unique_indices = false} : (tensor<8x32xf32>, tensor<8x1xi32>, tensor<32x8xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}

// -----

// LIMITS-LABEL: func.func @scatter_window_last
func.func @scatter_window_last(%x: tensor<8x32xf32>, %i: tensor<8x1xi32>, %u: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %0 = "stablehlo.scatter"(%x, %i, %u) ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    stablehlo.return %b : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, indices_are_sorted = false, unique_indices = false} : (tensor<8x32xf32>, tensor<8x1xi32>, tensor<8x32xf32>) -> tensor<8x32xf32>
  return %0 : tensor<8x32xf32>
}
