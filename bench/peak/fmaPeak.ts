// The instruction limit of 128-bit WebAssembly SIMD on this CPU: 12 independent accumulators (with the two operands, 14 of x64's 16 SIMD registers: more would spill),
// each a chain of f32x4.relaxed_madd, no memory traffic. Compiled by bench/roofline.mjs.

/** Runs `iterations` rounds of 24 fused multiply-adds of four lanes (192 FLOP a round); returns a sum so nothing is optimized away. */
export function fmaPeak(iterations: i32, seed: f32): f32 {
  const b = f32x4.splat(0.999999);
  const c = f32x4.splat(seed * 1e-7);
  let s0 = f32x4.splat(seed);
  let s1 = f32x4.splat(seed + 1);
  let s2 = f32x4.splat(seed + 2);
  let s3 = f32x4.splat(seed + 3);
  let s4 = f32x4.splat(seed + 4);
  let s5 = f32x4.splat(seed + 5);
  let s6 = f32x4.splat(seed + 6);
  let s7 = f32x4.splat(seed + 7);
  let s8 = f32x4.splat(seed + 8);
  let s9 = f32x4.splat(seed + 9);
  let sa = f32x4.splat(seed + 10);
  let sb = f32x4.splat(seed + 11);
  for (let i = 0; i < iterations; i++) {
    s0 = f32x4.relaxed_madd(s0, b, c);
    s1 = f32x4.relaxed_madd(s1, b, c);
    s2 = f32x4.relaxed_madd(s2, b, c);
    s3 = f32x4.relaxed_madd(s3, b, c);
    s4 = f32x4.relaxed_madd(s4, b, c);
    s5 = f32x4.relaxed_madd(s5, b, c);
    s6 = f32x4.relaxed_madd(s6, b, c);
    s7 = f32x4.relaxed_madd(s7, b, c);
    s8 = f32x4.relaxed_madd(s8, b, c);
    s9 = f32x4.relaxed_madd(s9, b, c);
    sa = f32x4.relaxed_madd(sa, b, c);
    sb = f32x4.relaxed_madd(sb, b, c);
    s0 = f32x4.relaxed_madd(s0, b, c);
    s1 = f32x4.relaxed_madd(s1, b, c);
    s2 = f32x4.relaxed_madd(s2, b, c);
    s3 = f32x4.relaxed_madd(s3, b, c);
    s4 = f32x4.relaxed_madd(s4, b, c);
    s5 = f32x4.relaxed_madd(s5, b, c);
    s6 = f32x4.relaxed_madd(s6, b, c);
    s7 = f32x4.relaxed_madd(s7, b, c);
    s8 = f32x4.relaxed_madd(s8, b, c);
    s9 = f32x4.relaxed_madd(s9, b, c);
    sa = f32x4.relaxed_madd(sa, b, c);
    sb = f32x4.relaxed_madd(sb, b, c);
  }
  const t = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(s0, s1), f32x4.add(s2, s3)), f32x4.add(f32x4.add(s4, s5), f32x4.add(s6, s7))),
    f32x4.add(f32x4.add(s8, s9), f32x4.add(sa, sb)),
  );
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1) + f32x4.extract_lane(t, 2) + f32x4.extract_lane(t, 3);
}
