// RUN: webtensor-opt %s -p "webtensor-expand-f64-math{f32=true}" --split-input-file | filecheck %s
// RUN: webtensor-opt %s -p webtensor-expand-f64-math --split-input-file | filecheck %s --check-prefix=F32-OFF
// RUN: webtensor-opt %s -p "webtensor-expand-f64-math{spirv=true}" --split-input-file | filecheck %s --check-prefix=SPIRV

// f64 sine: Cody-Waite reduction by pi/2 in four parts with k split in two,
// both Taylor kernels, then the quadrant picks one and its sign; NaN beyond
// 2^53 pi/2, where the reduction is not exact; tiny x passes through, so -0.0
// stays -0.0.

// CHECK-LABEL: func.func @sine
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf64>)
// CHECK-NOT:     stablehlo.sine
// CHECK:         %[[TWO_OVER_PI:.*]] = stablehlo.constant dense<0.63661977236758138>
// CHECK:         %[[SCALED:.*]] = stablehlo.multiply %[[X]], %[[TWO_OVER_PI]]
// CHECK:         %[[K:.*]] = stablehlo.round_nearest_even %[[SCALED]]
// CHECK:         %[[KH_SCALED:.*]] = stablehlo.round_nearest_even
// CHECK:         %[[KH:.*]] = stablehlo.multiply %[[KH_SCALED]]
// CHECK:         %[[KL:.*]] = stablehlo.subtract %[[K]], %[[KH]]
// CHECK:         %[[C1:.*]] = stablehlo.constant dense<1.5707963407039642>
// CHECK:         %[[C2:.*]] = stablehlo.constant dense<-1.3909067675399456E-8>
// CHECK:         %[[C3:.*]] = stablehlo.constant dense<6.1232339320535943E-17>
// CHECK:         %[[C4:.*]] = stablehlo.constant dense<6.3683171635109499E-25>
// CHECK:         %[[KHC1:.*]] = stablehlo.multiply %[[KH]], %[[C1]]
// CHECK:         %[[R1:.*]] = stablehlo.subtract %[[X]], %[[KHC1]]
// CHECK:         %[[KLC1:.*]] = stablehlo.multiply %[[KL]], %[[C1]]
// CHECK:         stablehlo.subtract %[[R1]], %[[KLC1]]
// CHECK:         stablehlo.floor
// CHECK:         %[[VALUE:.*]] = stablehlo.select
// CHECK:         %[[NEGATED:.*]] = stablehlo.negate %[[VALUE]]
// CHECK:         %[[REDUCED:.*]] = stablehlo.select %{{.*}}, %[[NEGATED]], %[[VALUE]]
// CHECK:         %[[LIMIT:.*]] = stablehlo.constant dense<0x434921FB54442D18>
// CHECK:         %[[HUGE:.*]] = stablehlo.compare GE, %{{.*}}, %[[LIMIT]], FLOAT
// CHECK:         %[[NAN:.*]] = stablehlo.constant dense<0x7FF8000000000000>
// CHECK:         %[[SIN:.*]] = stablehlo.select %[[HUGE]], %[[NAN]], %[[REDUCED]]
// CHECK:         %[[ABS:.*]] = stablehlo.abs %[[X]]
// CHECK:         %[[TINY:.*]] = stablehlo.constant dense<7.4505805969238281E-9>
// CHECK:         %[[IS_TINY:.*]] = stablehlo.compare LT, %[[ABS]], %[[TINY]], FLOAT
// CHECK:         %[[R:.*]] = stablehlo.select %[[IS_TINY]], %[[X]], %[[SIN]]
// CHECK:         return %[[R]]
func.func @sine(%x: tensor<4xf64>) -> tensor<4xf64> {
  %0 = stablehlo.sine %x : tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

// Every other function is expanded too, and none of the ops IREE cannot
// compile in f64 is left.

// CHECK-LABEL: func.func @the_rest
// CHECK-NOT:     stablehlo.cosine
// CHECK-NOT:     stablehlo.tan
// CHECK-NOT:     stablehlo.atan2
// CHECK-NOT:     stablehlo.cbrt
// CHECK-NOT:     stablehlo.exponential_minus_one
// CHECK-NOT:     stablehlo.log_plus_one
// CHECK:         return
func.func @the_rest(%x: tensor<3xf64>, %y: tensor<3xf64>) -> (tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>) {
  %0 = stablehlo.cosine %x : tensor<3xf64>
  %1 = stablehlo.tan %x : tensor<3xf64>
  %2 = stablehlo.tanh %x : tensor<3xf64>
  %3 = stablehlo.atan2 %y, %x : tensor<3xf64>
  %4 = stablehlo.cbrt %x : tensor<3xf64>
  %5 = stablehlo.exponential_minus_one %x : tensor<3xf64>
  %6 = stablehlo.log_plus_one %x : tensor<3xf64>
  return %0, %1, %2, %3, %4, %5, %6 : tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xf64>
}

// -----

// atan2 ends with C's NaN rule: a NaN operand gives a NaN, whatever the
// octant arithmetic made of it.

// CHECK-LABEL: func.func @atan2
// CHECK-SAME:    (%[[Y:.*]]: tensor<2xf64>, %[[X:.*]]: tensor<2xf64>)
// CHECK:         %[[X_NAN:.*]] = stablehlo.compare NE, %[[X]], %[[X]], FLOAT
// CHECK:         %[[Y_NAN:.*]] = stablehlo.compare NE, %[[Y]], %[[Y]], FLOAT
// CHECK:         %[[ANY_NAN:.*]] = stablehlo.or %[[X_NAN]], %[[Y_NAN]]
// CHECK:         %[[SUM:.*]] = stablehlo.add %[[X]], %[[Y]]
// CHECK:         %[[R:.*]] = stablehlo.select %[[ANY_NAN]], %[[SUM]], %{{.*}}
// CHECK:         return %[[R]]
func.func @atan2(%y: tensor<2xf64>, %x: tensor<2xf64>) -> tensor<2xf64> {
  %0 = stablehlo.atan2 %y, %x : tensor<2xf64>
  return %0 : tensor<2xf64>
}

// -----

// cbrt works on bits (IREE's CPU code flushes subnormal operands of float
// arithmetic): a subnormal's mantissa converts to a normal f64 exactly.

// CHECK-LABEL: func.func @cbrt
// CHECK-SAME:    (%[[X:.*]]: tensor<2xf64>)
// CHECK:         %[[BITS:.*]] = stablehlo.bitcast_convert %[[X]] : (tensor<2xf64>) -> tensor<2xi64>
// CHECK:         %[[MAGNITUDE:.*]] = stablehlo.and %[[BITS]]
// CHECK:         %[[FIELD:.*]] = stablehlo.shift_right_logical %[[MAGNITUDE]]
// CHECK:         stablehlo.convert %[[MAGNITUDE]] : (tensor<2xi64>) -> tensor<2xf64>
// CHECK-NOT:     stablehlo.cbrt
// CHECK:         return
func.func @cbrt(%x: tensor<2xf64>) -> tensor<2xf64> {
  %0 = stablehlo.cbrt %x : tensor<2xf64>
  return %0 : tensor<2xf64>
}

// -----

// A dynamic shape gets its constants by clamp, as everywhere in the sandbox.

// CHECK-LABEL: func.func @dynamic
// CHECK-NOT:     stablehlo.cosine
// CHECK:         stablehlo.clamp
// CHECK:         return
func.func @dynamic(%x: tensor<?xf64>) -> tensor<?xf64> {
  %0 = stablehlo.cosine %x : tensor<?xf64>
  return %0 : tensor<?xf64>
}

// -----

// Other functions and element types are IREE's: f64 functions it links, f32
// ones within 3 ULP, f16 (whose rounding hides IREE's f32 errors).

// CHECK-LABEL: func.func @unchanged
// CHECK-SAME:    (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf64>, %[[C:.*]]: tensor<4xf16>)
// CHECK-NEXT:    %[[E:.*]] = stablehlo.exponential %[[A]] : tensor<4xf32>
// CHECK-NEXT:    %[[L:.*]] = stablehlo.log %[[B]] : tensor<4xf64>
// CHECK-NEXT:    %[[S:.*]] = stablehlo.sine %[[C]] : tensor<4xf16>
// CHECK-NEXT:    return %[[E]], %[[L]], %[[S]]
func.func @unchanged(%a: tensor<4xf32>, %b: tensor<4xf64>, %c: tensor<4xf16>) -> (tensor<4xf32>, tensor<4xf64>, tensor<4xf16>) {
  %0 = stablehlo.exponential %a : tensor<4xf32>
  %1 = stablehlo.log %b : tensor<4xf64>
  %2 = stablehlo.sine %c : tensor<4xf16>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf64>, tensor<4xf16>
}

// -----

// IREE's f32 sine, cosine, tan, atan2 and cbrt miss 3 ULP: they are computed
// in f64 (with shorter series than f64 needs) and rounded once; beyond the
// exact reduction an f32 sine keeps IREE's own value.

// CHECK-LABEL: func.func @f32_sine
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>)
// CHECK-NEXT:    %[[WIDE:.*]] = stablehlo.convert %[[X]] : (tensor<4xf32>) -> tensor<4xf64>
// CHECK-NOT:     stablehlo.sine
// CHECK:         %[[NARROW:.*]] = stablehlo.convert %{{.*}} : (tensor<4xf64>) -> tensor<4xf32>
// CHECK-NEXT:    %[[ABS:.*]] = stablehlo.abs %[[X]] : tensor<4xf32>
// CHECK-NEXT:    %[[LIMIT:.*]] = stablehlo.constant dense<1.41484759E+16> : tensor<4xf32>
// CHECK-NEXT:    %[[HUGE:.*]] = stablehlo.compare GE, %[[ABS]], %[[LIMIT]], FLOAT
// CHECK-NEXT:    %[[NATIVE:.*]] = stablehlo.sine %[[X]] : tensor<4xf32>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.select %[[HUGE]], %[[NATIVE]], %[[NARROW]]
// CHECK-NEXT:    return %[[R]]
// f32 is off by default (the pipeline turns it on for llvm-cpu only): f32
// functions stay IREE's (faster, less exact).

// F32-OFF-LABEL: func.func @f32_sine
// F32-OFF-NEXT:    %[[S:.*]] = stablehlo.sine %{{.*}} : tensor<4xf32>
// F32-OFF-NEXT:    return %[[S]]
func.func @f32_sine(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.sine %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// A complex<f64> function works on the parts, in f64, and recombines them:
// e^(re + i im) = e^re (cos im + i sin im), with the real sine and cosine
// expanded in place.

// CHECK-LABEL: func.func @complex_exponential
// CHECK-SAME:    (%[[Z:.*]]: tensor<2xcomplex<f64>>)
// CHECK:         %[[RE:.*]] = stablehlo.real %[[Z]] : (tensor<2xcomplex<f64>>) -> tensor<2xf64>
// CHECK:         %[[IM:.*]] = stablehlo.imag %[[Z]] : (tensor<2xcomplex<f64>>) -> tensor<2xf64>
// CHECK:         stablehlo.exponential %{{.*}} : tensor<2xf64>
// CHECK-NOT:     stablehlo.sine
// CHECK-NOT:     stablehlo.cosine
// CHECK:         %[[R:.*]] = stablehlo.complex %{{.*}}, %{{.*}} : tensor<2xcomplex<f64>>
// CHECK:         return %[[R]]
func.func @complex_exponential(%z: tensor<2xcomplex<f64>>) -> tensor<2xcomplex<f64>> {
  %0 = stablehlo.exponential %z : tensor<2xcomplex<f64>>
  return %0 : tensor<2xcomplex<f64>>
}

// -----

// complex<f32> is IREE's, and so is complex<f64> arithmetic it links.

// CHECK-LABEL: func.func @complex_unchanged
// CHECK-NEXT:    stablehlo.sine %{{.*}} : tensor<2xcomplex<f32>>
// CHECK-NEXT:    stablehlo.multiply %{{.*}} : tensor<2xcomplex<f64>>
// CHECK-NEXT:    return
func.func @complex_unchanged(%a: tensor<2xcomplex<f32>>, %b: tensor<2xcomplex<f64>>) -> (tensor<2xcomplex<f32>>, tensor<2xcomplex<f64>>) {
  %0 = stablehlo.sine %a : tensor<2xcomplex<f32>>
  %1 = stablehlo.multiply %b, %b : tensor<2xcomplex<f64>>
  return %0, %1 : tensor<2xcomplex<f32>>, tensor<2xcomplex<f64>>
}

// -----

// So is IREE's complex<f32> exponential (up to 8 ULP off per part).

// CHECK-LABEL: func.func @complex_f32_exponential
// CHECK-SAME:    (%[[Z:.*]]: tensor<2xcomplex<f32>>)
// CHECK:         %[[RE:.*]] = stablehlo.real %[[Z]] : (tensor<2xcomplex<f32>>) -> tensor<2xf32>
// CHECK:         %[[IM:.*]] = stablehlo.imag %[[Z]] : (tensor<2xcomplex<f32>>) -> tensor<2xf32>
// CHECK:         stablehlo.convert %[[RE]] : (tensor<2xf32>) -> tensor<2xf64>
// CHECK:         stablehlo.convert %[[IM]] : (tensor<2xf32>) -> tensor<2xf64>
// CHECK-NOT:     stablehlo.exponential %[[Z]]
// CHECK:         %[[R:.*]] = stablehlo.complex %{{.*}}, %{{.*}} : tensor<2xcomplex<f32>>
// CHECK:         return %[[R]]
func.func @complex_f32_exponential(%z: tensor<2xcomplex<f32>>) -> tensor<2xcomplex<f32>> {
  %0 = stablehlo.exponential %z : tensor<2xcomplex<f32>>
  return %0 : tensor<2xcomplex<f32>>
}

// -----

// The arithmetic takes its operands' type, bounds included; the result keeps
// the op's own type.

// CHECK-LABEL: func.func @bounded
// CHECK-NOT:     stablehlo.atan2
// CHECK:         %[[R:.*]] = stablehlo.convert %{{.*}} : (tensor<?xf64, #stablehlo.bounds<8>>) -> tensor<?xf64>
// CHECK-NEXT:    return %[[R]] : tensor<?xf64>
func.func @bounded(%x: tensor<?xf64, #stablehlo.bounds<8>>) -> tensor<?xf64> {
  %0 = stablehlo.atan2 %x, %x : (tensor<?xf64, #stablehlo.bounds<8>>, tensor<?xf64, #stablehlo.bounds<8>>) -> tensor<?xf64>
  return %0 : tensor<?xf64>
}

// -----

// f64 power (on every target): |x| and log|x| as a double-double from x's
// bits (so subnormal x is read exactly, not flushed to zero), multiplied by y exactly, exp(hi)(1 + lo);
// then C's special cases: 0 and inf bases, the sign of a negative base's
// odd integral power, NaN for a finite negative base and a non-integral
// exponent, NaN operands, and 1 for x = 1, y = 0, (-1)^inf.

// CHECK-LABEL: func.func @power
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf64>, %[[Y:.*]]: tensor<4xf64>)
// CHECK-NOT:     stablehlo.power
// CHECK:         %[[BITS:.*]] = stablehlo.bitcast_convert %[[X]] : (tensor<4xf64>) -> tensor<4xi64>
// CHECK:         %[[MAGNITUDE_BITS:.*]] = stablehlo.and %[[BITS]]
// CHECK:         %[[AX:.*]] = stablehlo.bitcast_convert %[[MAGNITUDE_BITS]] : (tensor<4xi64>) -> tensor<4xf64>
// CHECK:         stablehlo.bitcast_convert %[[AX]] : (tensor<4xf64>) -> tensor<4xi64>
// CHECK:         %[[E:.*]] = stablehlo.exponential %[[T_HI:.*]] : tensor<4xf64>
// CHECK:         %[[E_LO:.*]] = stablehlo.multiply %[[E]], %[[T_LO:.*]] : tensor<4xf64>
// CHECK:         %[[CORRECTED:.*]] = stablehlo.add %[[E]], %[[E_LO]]
// CHECK:         %[[MAG:.*]] = stablehlo.select %{{.*}}, %[[CORRECTED]], %[[E]]
// CHECK:         %[[FLOOR:.*]] = stablehlo.floor %[[Y]]
// CHECK:         %[[INTEGRAL:.*]] = stablehlo.compare EQ, %[[FLOOR]], %[[Y]], FLOAT
// CHECK:         stablehlo.negate
// CHECK:         %[[NOT_INTEGRAL:.*]] = stablehlo.not %[[INTEGRAL]]
// CHECK:         %[[DOMAIN:.*]] = stablehlo.and %{{.*}}, %[[NOT_INTEGRAL]]
// CHECK:         %[[NAN:.*]] = stablehlo.constant dense<0x7FF8000000000000>
// CHECK:         stablehlo.select %[[DOMAIN]], %[[NAN]], %{{.*}}
// CHECK:         %[[SUM:.*]] = stablehlo.add %[[X]], %[[Y]]
// CHECK-NEXT:    %[[PROPAGATED:.*]] = stablehlo.select %{{.*}}, %[[SUM]], %{{.*}}
// CHECK:         stablehlo.or
// CHECK-NEXT:    %[[ONE_CASES:.*]] = stablehlo.or
// CHECK-NEXT:    %[[ONE:.*]] = stablehlo.constant dense<1.000000e+00>
// CHECK-NEXT:    %[[R:.*]] = stablehlo.select %[[ONE_CASES]], %[[ONE]], %[[PROPAGATED]]
// CHECK-NEXT:    return %[[R]]
// F32-OFF-LABEL: func.func @power
// F32-OFF-NOT:     stablehlo.power
// F32-OFF:         return
func.func @power(%x: tensor<4xf64>, %y: tensor<4xf64>) -> tensor<4xf64> {
  %0 = stablehlo.power %x, %y : tensor<4xf64>
  return %0 : tensor<4xf64>
}

// -----

// With f32 on, f32 power is computed in f64 and rounded once (IREE's is up
// to 4 ULP off); f16 and bf16 power in f32, which is plenty and keeps f16
// subnormal results (IREE flushes f64 -> f16 ones to zero). IREE's own gives
// NaN for a negative base with an integral exponent in bf16.

// CHECK-LABEL: func.func @narrow_power
// CHECK-SAME:    (%[[A:.*]]: tensor<4xf32>, %[[B:.*]]: tensor<4xf16>, %[[C:.*]]: tensor<4xbf16>)
// CHECK-NOT:     stablehlo.power
// CHECK:         %[[A_WIDE:.*]] = stablehlo.convert %[[A]] : (tensor<4xf32>) -> tensor<4xf64>
// CHECK:         %[[LOG_A:.*]] = stablehlo.log %{{.*}} : tensor<4xf64>
// CHECK:         stablehlo.exponential %{{.*}} : tensor<4xf64>
// CHECK:         %[[RA:.*]] = stablehlo.convert %{{.*}} : (tensor<4xf64>) -> tensor<4xf32>
// CHECK:         stablehlo.convert %[[B]] : (tensor<4xf16>) -> tensor<4xf32>
// CHECK:         stablehlo.log %{{.*}} : tensor<4xf32>
// CHECK:         %[[RB:.*]] = stablehlo.convert %{{.*}} : (tensor<4xf32>) -> tensor<4xf16>
// CHECK:         stablehlo.convert %[[C]] : (tensor<4xbf16>) -> tensor<4xf32>
// CHECK:         %[[RC:.*]] = stablehlo.convert %{{.*}} : (tensor<4xf32>) -> tensor<4xbf16>
// CHECK-NEXT:    return %[[RA]], %[[RB]], %[[RC]]

// Off (Vulkan, CUDA): narrow power stays IREE's.

// F32-OFF-LABEL: func.func @narrow_power
// F32-OFF-NEXT:    stablehlo.power %{{.*}} : tensor<4xf32>
// F32-OFF-NEXT:    stablehlo.power %{{.*}} : tensor<4xf16>
// F32-OFF-NEXT:    stablehlo.power %{{.*}} : tensor<4xbf16>
// F32-OFF-NEXT:    return
func.func @narrow_power(%a: tensor<4xf32>, %b: tensor<4xf16>, %c: tensor<4xbf16>) -> (tensor<4xf32>, tensor<4xf16>, tensor<4xbf16>) {
  %0 = stablehlo.power %a, %a : tensor<4xf32>
  %1 = stablehlo.power %b, %b : tensor<4xf16>
  %2 = stablehlo.power %c, %c : tensor<4xbf16>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf16>, tensor<4xbf16>
}

// -----

// complex<f32> expm1 and log1p too: IREE's lose their real parts to
// cancellation. Off, they stay IREE's.

// CHECK-LABEL: func.func @complex_f32_expm1_log1p
// CHECK-NOT:     stablehlo.exponential_minus_one %{{.*}} : tensor<2xcomplex<f32>>
// CHECK-NOT:     stablehlo.log_plus_one %{{.*}} : tensor<2xcomplex<f32>>
// CHECK:         %[[E:.*]] = stablehlo.complex %{{.*}}, %{{.*}} : tensor<2xcomplex<f32>>
// CHECK:         %[[L:.*]] = stablehlo.complex %{{.*}}, %{{.*}} : tensor<2xcomplex<f32>>
// CHECK-NEXT:    return %[[E]], %[[L]]
// F32-OFF-LABEL: func.func @complex_f32_expm1_log1p
// F32-OFF-NEXT:    stablehlo.exponential_minus_one %{{.*}} : tensor<2xcomplex<f32>>
// F32-OFF-NEXT:    stablehlo.log_plus_one %{{.*}} : tensor<2xcomplex<f32>>
// F32-OFF-NEXT:    return
func.func @complex_f32_expm1_log1p(%z: tensor<2xcomplex<f32>>) -> (tensor<2xcomplex<f32>>, tensor<2xcomplex<f32>>) {
  %0 = stablehlo.exponential_minus_one %z : tensor<2xcomplex<f32>>
  %1 = stablehlo.log_plus_one %z : tensor<2xcomplex<f32>>
  return %0, %1 : tensor<2xcomplex<f32>>, tensor<2xcomplex<f32>>
}

// -----

// For vulkan-spirv, where IREE has no f64 log and no f64 <-> i64 bitcast
// (nor an f64 round_nearest_even, which it writes with one), and no f64
// exp: log by an exponent found with compares and exact powers of two
// (2^64 for subnormals, then 2^512 ... 2^1), exp's 2^k from them too, round
// from floor. atan2's sign tests are compares everywhere (-0.0 by 1/x < 0).

// CHECK-LABEL: func.func @spirv
// CHECK-NOT:     stablehlo.bitcast_convert
// CHECK:         stablehlo.log %{{.*}} : tensor<3xf64>
// CHECK:         stablehlo.round_nearest_even %{{.*}} : tensor<3xf64>
// CHECK-NOT:     stablehlo.bitcast_convert
// CHECK:         stablehlo.exponential %{{.*}} : tensor<3xf64>
// CHECK:         return
// SPIRV-LABEL: func.func @spirv
// SPIRV-SAME:    (%[[X:.*]]: tensor<3xf64>, %{{.*}}: tensor<3xcomplex<f64>>)
// SPIRV-NOT:     stablehlo.exponential
// SPIRV-NOT:     stablehlo.log
// SPIRV-NOT:     stablehlo.round_nearest_even
// SPIRV-NOT:     stablehlo.bitcast_convert
// SPIRV:         %[[TWO_64:.*]] = stablehlo.constant dense<1.8446744073709552E+19>
// SPIRV:         stablehlo.multiply %{{.*}}, %[[TWO_64]]
// SPIRV:         %[[TWO_512:.*]] = stablehlo.constant dense<1.3407807929942597E+154>
// SPIRV:         stablehlo.compare GE, %{{.*}}, %[[TWO_512]], FLOAT
// SPIRV:         %[[LN2_HI:.*]] = stablehlo.constant dense<0.69314718055829871>
// SPIRV:         stablehlo.multiply %{{.*}}, %[[LN2_HI]]
// SPIRV:         %[[ABS:.*]] = stablehlo.abs %[[X]]
// SPIRV:         %[[DOWN:.*]] = stablehlo.floor %[[ABS]]
// SPIRV:         stablehlo.subtract %[[ABS]], %[[DOWN]]
// SPIRV-NOT:     stablehlo.log
// SPIRV-NOT:     stablehlo.round_nearest_even
// SPIRV-NOT:     stablehlo.bitcast_convert
// SPIRV-NOT:     stablehlo.exponential
// SPIRV:         return
func.func @spirv(%x: tensor<3xf64>, %z: tensor<3xcomplex<f64>>) -> (tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xcomplex<f64>>, tensor<3xf64>) {
  %0 = stablehlo.log %x : tensor<3xf64>
  %1 = stablehlo.round_nearest_even %x : tensor<3xf64>
  %2 = stablehlo.atan2 %x, %x : tensor<3xf64>
  %3 = stablehlo.log %z : tensor<3xcomplex<f64>>
  %4 = stablehlo.exponential %x : tensor<3xf64>
  return %0, %1, %2, %3, %4 : tensor<3xf64>, tensor<3xf64>, tensor<3xf64>, tensor<3xcomplex<f64>>, tensor<3xf64>
}
