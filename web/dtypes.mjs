// The element types the web runtime passes, shared by webtensor.mjs and
// weights.mjs: dtype -> [typed array, IREE HAL element type]. A HAL element
// type is (numerical type << 24) | bits (iree/hal/buffer_view.h).

const HAL = (numerical, bits) => ((numerical << 24) | bits) >>> 0;
export const DTYPES = {
  bool: [Uint8Array, HAL(0x13, 8)],
  int8: [Int8Array, HAL(0x11, 8)],
  int16: [Int16Array, HAL(0x11, 16)],
  int32: [Int32Array, HAL(0x11, 32)],
  int64: [BigInt64Array, HAL(0x11, 64)],
  uint8: [Uint8Array, HAL(0x12, 8)],
  uint16: [Uint16Array, HAL(0x12, 16)],
  uint32: [Uint32Array, HAL(0x12, 32)],
  uint64: [BigUint64Array, HAL(0x12, 64)],
  float16: [Uint16Array, HAL(0x21, 16)], // the raw bits
  bfloat16: [Uint16Array, HAL(0x22, 16)], // the raw bits
  float32: [Float32Array, HAL(0x21, 32)],
  float64: [Float64Array, HAL(0x21, 64)],
  // Interleaved real and imaginary parts: two array elements per number.
  complex64: [Float32Array, HAL(0x23, 64)],
  complex128: [Float64Array, HAL(0x23, 128)],
};
export const LANES = { complex64: 2, complex128: 2 };

// The bytes of one element of `dtype`.
export function itemSize(dtype) {
  const [ArrayType] = DTYPES[dtype];
  return ArrayType.BYTES_PER_ELEMENT * (LANES[dtype] ?? 1);
}

// `dtype[d0,d1]`, as the Python runtime spells a tensor type.
export function typeString(dtype, shape) {
  return `${dtype}[${shape.map((d) => (d === null ? "?" : d)).join(",")}]`;
}
