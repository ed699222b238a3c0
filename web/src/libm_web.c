// The math library IREE's runtime calls (the VM's float ops and the VMVX
// interpreter), which IREE's freestanding wasm libc declares in math.h but
// does not implement.
//
// What wasm has as instructions (abs, ceil, floor, sqrt, trunc) is a
// builtin. fmod and remainder are exact, written here. The transcendental
// functions come from the embedder's JS `Math` (imported as module "Math"),
// computed in double precision: rounded to float, they are at least as
// accurate as a float libm. Where C and JS disagree on a special case (pow),
// the C answer is given here. erf has no JS counterpart and is written here.
// The runtime also exports these to the llvm-cpu side modules, which import
// what LLVM leaves as libcalls (fmaxf for arith.maxnumf, fmodf for
// arith.remf); IREE's compiler expands the rest of their math to polynomials.

#include <math.h>
#include <stdint.h>

#define JS_MATH(name) \
  __attribute__((import_module("Math"), import_name(#name)))

JS_MATH(exp) double js_exp(double);
JS_MATH(expm1) double js_expm1(double);
JS_MATH(log) double js_log(double);
JS_MATH(log10) double js_log10(double);
JS_MATH(log1p) double js_log1p(double);
JS_MATH(log2) double js_log2(double);
JS_MATH(sin) double js_sin(double);
JS_MATH(cos) double js_cos(double);
JS_MATH(atan) double js_atan(double);
JS_MATH(atan2) double js_atan2(double, double);
JS_MATH(tanh) double js_tanh(double);
JS_MATH(pow) double js_pow(double, double);

double fabs(double x) { return __builtin_fabs(x); }
float fabsf(float x) { return __builtin_fabsf(x); }
double ceil(double x) { return __builtin_ceil(x); }
float ceilf(float x) { return __builtin_ceilf(x); }
double floor(double x) { return __builtin_floor(x); }
float floorf(float x) { return __builtin_floorf(x); }
double sqrt(double x) { return __builtin_sqrt(x); }
float sqrtf(float x) { return __builtin_sqrtf(x); }

// The number if the other operand is NaN; +0 over -0 (C's fmax and fmin).
double fmax(double x, double y) {
  if (isnan(x)) return y;
  if (isnan(y) || x > y) return x;
  return y > x ? y : (signbit(x) ? y : x);
}
float fmaxf(float x, float y) {
  if (isnan(x)) return y;
  if (isnan(y) || x > y) return x;
  return y > x ? y : (signbit(x) ? y : x);
}
double fmin(double x, double y) {
  if (isnan(x)) return y;
  if (isnan(y) || x < y) return x;
  return y < x ? y : (signbit(x) ? x : y);
}
float fminf(float x, float y) {
  if (isnan(x)) return y;
  if (isnan(y) || x < y) return x;
  return y < x ? y : (signbit(x) ? x : y);
}

// Halfway cases away from zero (C's round), unlike wasm's `nearest`.
double round(double x) {
  double t = __builtin_trunc(x);
  if (__builtin_fabs(x - t) >= 0.5) t += __builtin_copysign(1.0, x);
  return t;
}
float roundf(float x) {
  float t = __builtin_truncf(x);
  if (__builtin_fabsf(x - t) >= 0.5f) t += __builtin_copysignf(1.0f, x);
  return t;
}
long lround(double x) { return (long)round(x); }
long lroundf(float x) { return (long)roundf(x); }
long long llround(double x) { return (long long)round(x); }
long long llroundf(float x) { return (long long)roundf(x); }

// The exact remainder of x / y truncated toward zero, by long division on
// the binary exponents: each step subtracts y scaled by a power of two, which
// is exact.
double fmod(double x, double y) {
  if (isnan(x) || isnan(y) || isinf(x) || y == 0) return NAN;
  double ax = __builtin_fabs(x), ay = __builtin_fabs(y);
  if (ax < ay) return x;
  while (ax >= ay) {
    double scaled = ay;
    // The largest ay * 2^k not above ax.
    while (scaled <= ax / 2) scaled *= 2;
    ax -= scaled;
  }
  return __builtin_copysign(ax, x);
}
float fmodf(float x, float y) { return (float)fmod(x, y); }

// IEEE remainder: x - n * y with n the integer nearest x / y, ties to even.
double remainder(double x, double y) {
  if (isnan(x) || isnan(y) || isinf(x) || y == 0) return NAN;
  double p = __builtin_fabs(y);
  double r = isinf(p) ? x : fmod(x, p);  // |r| < p, sign of x
  double ar = __builtin_fabs(r);
  // Parity of the truncated quotient decides a tie: it is odd exactly when
  // fmod by 2p leaves at least p.
  int odd = !isinf(p) && p <= 0x1p1022 && __builtin_fabs(fmod(x, 2 * p)) >= p;
  if (ar > p - ar || (ar == p - ar && odd)) ar -= p;
  return __builtin_copysign(1.0, x) * ar;
}
float remainderf(float x, float y) { return (float)remainder(x, y); }

double exp(double x) { return js_exp(x); }
float expf(float x) { return (float)js_exp(x); }
double exp2(double x) { return js_pow(2.0, x); }
float exp2f(float x) { return (float)js_pow(2.0, x); }
double expm1(double x) { return js_expm1(x); }
float expm1f(float x) { return (float)js_expm1(x); }
double log(double x) { return js_log(x); }
float logf(float x) { return (float)js_log(x); }
double log10(double x) { return js_log10(x); }
float log10f(float x) { return (float)js_log10(x); }
double log1p(double x) { return js_log1p(x); }
float log1pf(float x) { return (float)js_log1p(x); }
double log2(double x) { return js_log2(x); }
float log2f(float x) { return (float)js_log2(x); }
double sin(double x) { return js_sin(x); }
float sinf(float x) { return (float)js_sin(x); }
double cos(double x) { return js_cos(x); }
float cosf(float x) { return (float)js_cos(x); }
double atan(double x) { return js_atan(x); }
float atanf(float x) { return (float)js_atan(x); }
double atan2(double y, double x) { return js_atan2(y, x); }
float atan2f(float y, float x) { return (float)js_atan2(y, x); }
double tanh(double x) { return js_tanh(x); }
float tanhf(float x) { return (float)js_tanh(x); }

// JS answers NaN where C answers 1: pow(1, y) for any y, pow(-1, +-inf).
double pow(double x, double y) {
  if (x == 1.0 || y == 0.0) return 1.0;
  if (x == -1.0 && isinf(y)) return 1.0;
  return js_pow(x, y);
}
float powf(float x, float y) { return (float)pow(x, y); }

// erf by its Taylor series near zero and its continued fraction for erfc
// further out, both in double: about 1e-15 relative error, enough for the
// float version and close for the double one.
double erf(double x) {
  if (isnan(x)) return x;
  double ax = __builtin_fabs(x);
  if (ax < 2.5) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    double term = ax, sum = ax, x2 = ax * ax;
    for (int n = 1; n < 60; ++n) {
      term *= -x2 / n;
      double add = term / (2 * n + 1);
      sum += add;
      if (__builtin_fabs(add) < 1e-17 * __builtin_fabs(sum)) break;
    }
    return __builtin_copysign(sum * 1.1283791670955126, x);
  }
  if (ax > 6.0) return __builtin_copysign(1.0, x);
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...))))
  double fraction = ax;
  for (int k = 60; k >= 1; --k) fraction = ax + (k / 2.0) / fraction;
  double erfc = js_exp(-ax * ax) / fraction * 0.5641895835477563;
  return __builtin_copysign(1.0 - erfc, x);
}
float erff(float x) { return (float)erf(x); }
