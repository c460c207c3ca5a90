// Dense-layer kernels for rxgrad, compiled to WebAssembly SIMD (and, in a second build, relaxed
// SIMD, whose f32x4.relaxed_madd is a fused multiply-add where the CPU has one). Matrices are
// row-major float32 in the imported memory; arguments are byte addresses. A·Bᵀ runs as dot products
// along contiguous rows; A·B and Aᵀ·B broadcast A's values against rows of B instead, which needs
// no transpose. The large products reach about 90% of what a loop of nothing but fused
// multiply-adds reaches (bench/kernels.mjs).
// The TypeScript kernels in src/model/kernels.ts are the reference these are tested against.

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function at(base: usize, index: i32): usize {
  return base + (<usize>index << 2);
}

@inline function sum4(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** [ΣA, ΣB, ΣC, ΣD]: four horizontal sums in three shuffle-and-add rounds. */
@inline function sum4x4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/**
 * C (m×n) = A·Bᵀ, A (m×k) and B (n×k) row-major: dot products along k, a tile of 4 rows × 2
 * columns. The inner loop walks two pointers rather than adding an offset to six bases: V8 then
 * emits fewer address computations, measured +10% (47 → 52 GFLOP/s against a 56 GFLOP/s FMA peak).
 */
export function gemmTransposeB(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32): void {
  const k4 = k & ~3;
  const m4 = m & ~3;
  const n2 = n & ~1;
  const kb = <usize>k << 2;
  const row = <usize>n << 2;
  for (let i = 0; i < m4; i += 4) {
    const a0p = at(a, i * k);
    const aEnd = a0p + (<usize>k4 << 2);
    for (let j = 0; j < n2; j += 2) {
      const b0p = at(b, j * k);
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0);
      let s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      let ap = a0p;
      let bp = b0p;
      while (ap < aEnd) {
        const b0 = v128.load(bp);
        const b1 = v128.load(bp + kb);
        const a0 = v128.load(ap);
        const a1 = v128.load(ap + kb);
        const a2 = v128.load(ap + 2 * kb);
        const a3 = v128.load(ap + 3 * kb);
        s00 = madd(a0, b0, s00); s01 = madd(a0, b1, s01);
        s10 = madd(a1, b0, s10); s11 = madd(a1, b1, s11);
        s20 = madd(a2, b0, s20); s21 = madd(a2, b1, s21);
        s30 = madd(a3, b0, s30); s31 = madd(a3, b1, s31);
        ap += 16;
        bp += 16;
      }
      const cp = at(c, i * n + j);
      if (k4 == k) {
        // Reduce the eight accumulators with shuffles, two rows of two results per vector.
        const q0 = sum4x4(s00, s01, s10, s11);
        const q1 = sum4x4(s20, s21, s30, s31);
        v128.store64_lane(cp, q0, 0);
        v128.store64_lane(cp + row, q0, 1);
        v128.store64_lane(cp + 2 * row, q1, 0);
        v128.store64_lane(cp + 3 * row, q1, 1);
        continue;
      }
      const a1p = a0p + kb;
      const a2p = a1p + kb;
      const a3p = a2p + kb;
      const b1p = b0p + kb;
      let t00 = sum4(s00), t01 = sum4(s01), t10 = sum4(s10), t11 = sum4(s11);
      let t20 = sum4(s20), t21 = sum4(s21), t30 = sum4(s30), t31 = sum4(s31);
      for (let p = k4; p < k; p++) {
        const o = <usize>p << 2;
        const b0 = load<f32>(b0p + o);
        const b1 = load<f32>(b1p + o);
        t00 += load<f32>(a0p + o) * b0; t01 += load<f32>(a0p + o) * b1;
        t10 += load<f32>(a1p + o) * b0; t11 += load<f32>(a1p + o) * b1;
        t20 += load<f32>(a2p + o) * b0; t21 += load<f32>(a2p + o) * b1;
        t30 += load<f32>(a3p + o) * b0; t31 += load<f32>(a3p + o) * b1;
      }
      store<f32>(cp, t00); store<f32>(cp, t01, 4);
      store<f32>(cp + row, t10); store<f32>(cp + row, t11, 4);
      store<f32>(cp + 2 * row, t20); store<f32>(cp + 2 * row, t21, 4);
      store<f32>(cp + 3 * row, t30); store<f32>(cp + 3 * row, t31, 4);
    }
  }
  // Leftover rows and columns: one dot product at a time.
  for (let i = 0; i < m; i++) {
    const j0 = i < m4 ? n2 : 0;
    const ap = at(a, i * k);
    for (let j = j0; j < n; j++) {
      const bp = at(b, j * k);
      let s = f32x4.splat(0);
      for (let p = 0; p < k4; p += 4) s = madd(v128.load(ap + (<usize>p << 2)), v128.load(bp + (<usize>p << 2)), s);
      let t = sum4(s);
      for (let p = k4; p < k; p++) t += load<f32>(ap + (<usize>p << 2)) * load<f32>(bp + (<usize>p << 2));
      store<f32>(at(c, i * n + j), t);
    }
  }
}

/** Depth of the blocks `gemm` sums over: keeps a panel of B (256 rows × 8 columns) in L1. */
const GEMM_DEPTH = 256;

/**
 * C (m×n) = A·B, A (m×k) and B (k×n) row-major, without transposing: each A value is broadcast
 * against eight B columns, a tile of 4 rows × 8 columns, over depth blocks of GEMM_DEPTH. Used where
 * k is small or B's rows are short; there no dot-product reduction has enough terms to pay off
 * (128×10×128: 13 → 34 GFLOP/s).
 */
export function gemm(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32): void {
  const rowA = <usize>k << 2;
  for (let p0 = 0; p0 < k; p0 += GEMM_DEPTH) {
    const depth = min(GEMM_DEPTH, k - p0);
    const first = p0 == 0;
    let i = 0;
    for (; i + 4 <= m; i += 4) gemmRows(at(a, i * k + p0), rowA, 4, b, c, i, p0, depth, n, first, 4);
    for (; i < m; i++) gemmRows(at(a, i * k + p0), rowA, 4, b, c, i, p0, depth, n, first, 1);
  }
}

/** Bytes of the panel `gemmTransposeA` packs a tile's A values into: GEMM_DEPTH steps × 4 floats. */
export function panelBytes(): i32 {
  return GEMM_DEPTH * 16;
}

/**
 * C (m×n) = Aᵀ·B for A (k×m) and B (k×n) row-major, without transposing either: `gemm`'s tiles,
 * with the A values of a tile's four rows side by side in one row of A. `stride` is A's row length
 * (m, or more when C's rows are a share of a larger product's). The weight gradient dZᵀ·X: it
 * replaces transposing both operands for `gemmTransposeB`, which cost about as much as this.
 *
 * `panel` is `panelBytes()` of scratch memory, the calling thread's own. Where A's rows are long
 * (64 floats or more), the 16 bytes a tile takes of each of them lie on as many cache
 * lines, and at a power-of-two stride those lines fall into a few of L1's sets and evict each
 * other before the next tile of columns reads them again (on an AVX-512 Xeon: 38 GFLOP/s for
 * 256×128×784). So a tile's A values are first copied into the panel, one after another, and the
 * tile reads them from there: the same values in the same order, so the same bits (46 GFLOP/s).
 * With few columns of C the copy does not pay, and the tile reads A in place.
 */
export function gemmTransposeA(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, stride: i32, panel: usize): void {
  const rowA = <usize>stride << 2;
  const pack = stride >= 64 && n >= 64;
  for (let p0 = 0; p0 < k; p0 += GEMM_DEPTH) {
    const depth = min(GEMM_DEPTH, k - p0);
    const first = p0 == 0;
    let i = 0;
    for (; i + 4 <= m; i += 4) {
      const a0 = at(a, p0 * stride + i);
      if (!pack) {
        gemmRows(a0, 4, rowA, b, c, i, p0, depth, n, first, 4);
        continue;
      }
      let from = a0;
      const end = panel + (<usize>depth << 4);
      for (let to = panel; to < end; to += 16) {
        v128.store(to, v128.load(from));
        from += rowA;
      }
      gemmRows(panel, 4, 16, b, c, i, p0, depth, n, first, 4);
    }
    for (; i < m; i++) gemmRows(at(a, p0 * stride + i), 4, rowA, b, c, i, p0, depth, n, first, 1);
  }
}

/**
 * Rows i … i + rows − 1 of C over depth p0 … p0 + depth − 1; `rows` (1 or 4) is a constant once
 * inlined. The A value of tile row r at depth step d is at a0 + r·rowStep + d·depthStep (bytes).
 */
@inline function gemmRows(a0: usize, rowStep: usize, depthStep: usize, b: usize, c: usize, i: i32, p0: i32, depth: i32, n: i32, first: bool, rows: i32): void {
  const rowB = <usize>n << 2;
  const b0 = at(b, p0 * n);
  const bEnd = b0 + <usize>depth * rowB;
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const cp = at(c, i * n + j);
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    if (!first) {
      c00 = v128.load(cp); c01 = v128.load(cp, 16);
      if (rows > 1) {
        c10 = v128.load(cp + rowB); c11 = v128.load(cp + rowB, 16);
        c20 = v128.load(cp + 2 * rowB); c21 = v128.load(cp + 2 * rowB, 16);
        c30 = v128.load(cp + 3 * rowB); c31 = v128.load(cp + 3 * rowB, 16);
      }
    }
    let ap = a0;
    for (let bp = b0 + (<usize>j << 2); bp < bEnd; bp += rowB) {
      const y0 = v128.load(bp);
      const y1 = v128.load(bp, 16);
      let x = v128.load32_splat(ap);
      c00 = madd(x, y0, c00); c01 = madd(x, y1, c01);
      if (rows > 1) {
        x = v128.load32_splat(ap + rowStep);
        c10 = madd(x, y0, c10); c11 = madd(x, y1, c11);
        x = v128.load32_splat(ap + 2 * rowStep);
        c20 = madd(x, y0, c20); c21 = madd(x, y1, c21);
        x = v128.load32_splat(ap + 3 * rowStep);
        c30 = madd(x, y0, c30); c31 = madd(x, y1, c31);
      }
      ap += depthStep;
    }
    v128.store(cp, c00); v128.store(cp, c01, 16);
    if (rows > 1) {
      v128.store(cp + rowB, c10); v128.store(cp + rowB, c11, 16);
      v128.store(cp + 2 * rowB, c20); v128.store(cp + 2 * rowB, c21, 16);
      v128.store(cp + 3 * rowB, c30); v128.store(cp + 3 * rowB, c31, 16);
    }
  }
  // The last n mod 8 columns, one at a time.
  for (; j < n; j++) {
    for (let r = 0; r < rows; r++) {
      const cp = at(c, (i + r) * n + j);
      let sum: f32 = first ? 0 : load<f32>(cp);
      let ap = a0 + <usize>r * rowStep;
      for (let bp = b0 + (<usize>j << 2); bp < bEnd; bp += rowB) {
        sum += load<f32>(ap) * load<f32>(bp);
        ap += depthStep;
      }
      store<f32>(cp, sum);
    }
  }
}

/**
 * One bias-corrected Adam step over n parameters, in place: g ← g + wd·w; m ← β₁m + (1 − β₁)g;
 * v ← β₂v + (1 − β₂)g²; w ← w − lr·(m/c₁)/(√(v/c₂) + ε), with c₁ = 1 − β₁ᵗ and c₂ = 1 − β₂ᵗ.
 */
export function adam(w: usize, g: usize, m: usize, v: usize, n: i32, lr: f32, beta1: f32, beta2: f32, epsilon: f32, c1: f32, c2: f32, wd: f32): void {
  adamRange(w, g, m, v, n, 0, n, lr, beta1, beta2, epsilon, c1, c2, wd);
}

/** Bytes of one tensor's entry in adamTensors' table: w, g, m, v, length, weight decay (f32). */
const ADAM_ENTRY: usize = 24;

/**
 * One Adam step over many tensors in one call. `table` holds `count` entries (ADAM_ENTRY bytes:
 * the addresses of w, g, m and v, the length, the weight decay as f32). The tensors are laid end
 * to end, each padded to a multiple of 4, and elements [start, start + size) of that line are
 * updated (start a multiple of 4), each exactly as `adam` updates it: so a step split across
 * threads at multiples of 4 gives the same bits as one call over everything.
 */
export function adamTensors(table: usize, count: i32, start: i32, size: i32, lr: f32, beta1: f32, beta2: f32, epsilon: f32, c1: f32, c2: f32): void {
  const end = start + size;
  let offset = 0;
  for (let t = 0; t < count && offset < end; t++) {
    const entry = table + <usize>t * ADAM_ENTRY;
    const n = load<i32>(entry, 16);
    const from = max<i32>(start - offset, 0);
    const to = min<i32>(end - offset, n);
    if (from < to) adamRange(load<u32>(entry), load<u32>(entry, 4), load<u32>(entry, 8), load<u32>(entry, 12), n, from, to, lr, beta1, beta2, epsilon, c1, c2, load<f32>(entry, 20));
    offset += (n + 3) & ~3;
  }
}

/** Elements [from, to) of an n-parameter Adam step (from a multiple of 4): vector lanes below n & ~3, scalars above, as over the whole. */
@inline function adamRange(w: usize, g: usize, m: usize, v: usize, n: i32, from: i32, to: i32, lr: f32, beta1: f32, beta2: f32, epsilon: f32, c1: f32, c2: f32, wd: f32): void {
  const vb1 = f32x4.splat(beta1);
  const vb1c = f32x4.splat(1 - beta1);
  const vb2 = f32x4.splat(beta2);
  const vb2c = f32x4.splat(1 - beta2);
  const vlr = f32x4.splat(lr / c1);
  const vc2 = f32x4.splat(1 / c2);
  const veps = f32x4.splat(epsilon);
  const vwd = f32x4.splat(wd);
  const n4 = min<i32>(n & ~3, to);
  let i = from;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const wi = v128.load(w + o);
    const gi = madd(vwd, wi, v128.load(g + o));
    const mi = madd(vb1, v128.load(m + o), f32x4.mul(vb1c, gi));
    const vi = madd(vb2, v128.load(v + o), f32x4.mul(vb2c, f32x4.mul(gi, gi)));
    v128.store(m + o, mi);
    v128.store(v + o, vi);
    const denominator = f32x4.add(f32x4.sqrt(f32x4.mul(vi, vc2)), veps);
    v128.store(w + o, f32x4.sub(wi, f32x4.div(f32x4.mul(vlr, mi), denominator)));
  }
  for (; i < to; i++) {
    const o = <usize>i << 2;
    const wi = load<f32>(w + o);
    const gi = load<f32>(g + o) + wd * wi;
    const mi = beta1 * load<f32>(m + o) + (1 - beta1) * gi;
    const vi = beta2 * load<f32>(v + o) + (1 - beta2) * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    store<f32>(w + o, wi - ((lr / c1) * mi) / (Mathf.sqrt(vi / c2) + epsilon));
  }
}

/** out = max(x, 0) element-wise (NaN stays NaN). */
export function relu(x: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.max(v128.load(x + o), zero));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, reluOf(load<f32>(x + o)));
  }
}

/** max(v, 0) with NaN passed through: one value of `relu`, exactly as its vector lanes. */
@inline function reluOf(v: f32): f32 {
  return v > 0 || isNaN(v) ? v : 0;
}

/** `relu`'s lanes when `on` (a constant once inlined), else v unchanged. */
@inline function reluIf(on: bool, v: v128): v128 {
  return on ? f32x4.max(v, f32x4.splat(0)) : v;
}

/** `reluBackward`'s lanes when `a` (relu's output) is given (a constant test once inlined), else g. */
@inline function maskedBy(masked: bool, g: v128, a: usize, offset: usize): v128 {
  return masked ? v128.and(g, f32x4.gt(v128.load(a + offset), f32x4.splat(0))) : g;
}

/** out = g where a > 0, else 0 (a is relu's output). */
export function reluBackward(a: usize, g: usize, out: usize, n: i32): void {
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, v128.and(v128.load(g + o), f32x4.gt(v128.load(a + o), zero)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(a + o) > 0 ? load<f32>(g + o) : 0);
  }
}

/**
 * Batch normalization in training, over `rows` rows of `size` features: writes the batch mean and
 * biased variance (for the running averages), 1/√(σ² + ε), x̂ and out = γ·x̂ + β. Features go
 * sixteen at a time (four independent sums hide the add latency: 4× faster than one vector at a
 * time), then four, then one.
 */
export function batchNormTrain(z: usize, out: usize, xhat: usize, mean: usize, variance: usize, invStd: usize, gamma: usize, beta: usize, rows: i32, size: i32, epsilon: f32, relu: i32): void {
  let j = 0;
  if (relu) {
    for (; j + 16 <= size; j += 16) batchNormTrainVectors(z, out, xhat, mean, variance, invStd, gamma, beta, rows, size, epsilon, j, 4, true);
    for (; j + 4 <= size; j += 4) batchNormTrainVectors(z, out, xhat, mean, variance, invStd, gamma, beta, rows, size, epsilon, j, 1, true);
  } else {
    for (; j + 16 <= size; j += 16) batchNormTrainVectors(z, out, xhat, mean, variance, invStd, gamma, beta, rows, size, epsilon, j, 4, false);
    for (; j + 4 <= size; j += 4) batchNormTrainVectors(z, out, xhat, mean, variance, invStd, gamma, beta, rows, size, epsilon, j, 1, false);
  }
  const row = <usize>size << 2;
  const end = <usize>rows * row;
  for (; j < size; j++) {
    const o = <usize>j << 2;
    let sum: f32 = 0;
    for (let p = o; p < end; p += row) sum += load<f32>(z + p);
    const mu = sum / <f32>rows;
    let squares: f32 = 0;
    for (let p = o; p < end; p += row) {
      const d = load<f32>(z + p) - mu;
      squares += d * d;
    }
    const sigma2 = squares / <f32>rows;
    const inv = <f32>1 / Mathf.sqrt(sigma2 + epsilon);
    store<f32>(mean + o, mu);
    store<f32>(variance + o, sigma2);
    store<f32>(invStd + o, inv);
    const g = load<f32>(gamma + o);
    const b = load<f32>(beta + o);
    for (let p = o; p < end; p += row) {
      const h = (load<f32>(z + p) - mu) * inv;
      store<f32>(xhat + p, h);
      store<f32>(out + p, relu ? reluOf(g * h + b) : g * h + b);
    }
  }
}

/**
 * Features j … j + 4·vectors − 1 of batchNormTrain, with ReLU applied to the output when `relu`;
 * `vectors` (1 or 4) and `relu` are constants once inlined.
 */
@inline function batchNormTrainVectors(z: usize, out: usize, xhat: usize, mean: usize, variance: usize, invStd: usize, gamma: usize, beta: usize, rows: i32, size: i32, epsilon: f32, j: i32, vectors: i32, relu: bool): void {
  const row = <usize>size << 2;
  const o = <usize>j << 2;
  const end = <usize>rows * row + o;
  const inverseRows = f32x4.splat(<f32>1 / <f32>rows);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  for (let p = o; p < end; p += row) {
    s0 = f32x4.add(s0, v128.load(z + p));
    if (vectors > 1) {
      s1 = f32x4.add(s1, v128.load(z + p, 16));
      s2 = f32x4.add(s2, v128.load(z + p, 32));
      s3 = f32x4.add(s3, v128.load(z + p, 48));
    }
  }
  const mu0 = f32x4.mul(s0, inverseRows), mu1 = f32x4.mul(s1, inverseRows), mu2 = f32x4.mul(s2, inverseRows), mu3 = f32x4.mul(s3, inverseRows);
  s0 = f32x4.splat(0); s1 = f32x4.splat(0); s2 = f32x4.splat(0); s3 = f32x4.splat(0);
  for (let p = o; p < end; p += row) {
    const d0 = f32x4.sub(v128.load(z + p), mu0);
    s0 = madd(d0, d0, s0);
    if (vectors > 1) {
      const d1 = f32x4.sub(v128.load(z + p, 16), mu1);
      const d2 = f32x4.sub(v128.load(z + p, 32), mu2);
      const d3 = f32x4.sub(v128.load(z + p, 48), mu3);
      s1 = madd(d1, d1, s1);
      s2 = madd(d2, d2, s2);
      s3 = madd(d3, d3, s3);
    }
  }
  const ep = f32x4.splat(epsilon);
  const one = f32x4.splat(1);
  const var0 = f32x4.mul(s0, inverseRows), var1 = f32x4.mul(s1, inverseRows), var2 = f32x4.mul(s2, inverseRows), var3 = f32x4.mul(s3, inverseRows);
  const inv0 = f32x4.div(one, f32x4.sqrt(f32x4.add(var0, ep)));
  const inv1 = f32x4.div(one, f32x4.sqrt(f32x4.add(var1, ep)));
  const inv2 = f32x4.div(one, f32x4.sqrt(f32x4.add(var2, ep)));
  const inv3 = f32x4.div(one, f32x4.sqrt(f32x4.add(var3, ep)));
  const m = mean + o, v = variance + o, s = invStd + o;
  v128.store(m, mu0); v128.store(v, var0); v128.store(s, inv0);
  if (vectors > 1) {
    v128.store(m, mu1, 16); v128.store(v, var1, 16); v128.store(s, inv1, 16);
    v128.store(m, mu2, 32); v128.store(v, var2, 32); v128.store(s, inv2, 32);
    v128.store(m, mu3, 48); v128.store(v, var3, 48); v128.store(s, inv3, 48);
  }
  const g = gamma + o, b = beta + o;
  for (let p = o; p < end; p += row) {
    const h0 = f32x4.mul(f32x4.sub(v128.load(z + p), mu0), inv0);
    v128.store(xhat + p, h0);
    v128.store(out + p, reluIf(relu, madd(v128.load(g), h0, v128.load(b))));
    if (vectors > 1) {
      const h1 = f32x4.mul(f32x4.sub(v128.load(z + p, 16), mu1), inv1);
      const h2 = f32x4.mul(f32x4.sub(v128.load(z + p, 32), mu2), inv2);
      const h3 = f32x4.mul(f32x4.sub(v128.load(z + p, 48), mu3), inv3);
      v128.store(xhat + p, h1, 16);
      v128.store(xhat + p, h2, 32);
      v128.store(xhat + p, h3, 48);
      v128.store(out + p, reluIf(relu, madd(v128.load(g, 16), h1, v128.load(b, 16))), 16);
      v128.store(out + p, reluIf(relu, madd(v128.load(g, 32), h2, v128.load(b, 32))), 32);
      v128.store(out + p, reluIf(relu, madd(v128.load(g, 48), h3, v128.load(b, 48))), 48);
    }
  }
}

/**
 * The full batch-norm gradient: dβ = Σdy, dγ = Σdy·x̂, dx = γ/(n·σ)·(n·dy − Σdy − x̂·Σdy·x̂).
 * Sixteen features at a time, then four, then one, as in batchNormTrain. When the batch norm is
 * followed by a ReLU, `a` is the ReLU's output and `dy` the gradient of that output: dy is masked
 * by a > 0 as it is read, exactly as reluBackward would have written it (0 for no ReLU).
 */
export function batchNormBackward(dy: usize, xhat: usize, invStd: usize, gamma: usize, dx: usize, dgamma: usize, dbeta: usize, rows: i32, size: i32, a: usize): void {
  let j = 0;
  if (a) {
    for (; j + 16 <= size; j += 16) batchNormBackwardVectors(dy, xhat, invStd, gamma, dx, dgamma, dbeta, rows, size, j, 4, a, true);
    for (; j + 4 <= size; j += 4) batchNormBackwardVectors(dy, xhat, invStd, gamma, dx, dgamma, dbeta, rows, size, j, 1, a, true);
  } else {
    for (; j + 16 <= size; j += 16) batchNormBackwardVectors(dy, xhat, invStd, gamma, dx, dgamma, dbeta, rows, size, j, 4, 0, false);
    for (; j + 4 <= size; j += 4) batchNormBackwardVectors(dy, xhat, invStd, gamma, dx, dgamma, dbeta, rows, size, j, 1, 0, false);
  }
  const row = <usize>size << 2;
  const end = <usize>rows * row;
  for (; j < size; j++) {
    const o = <usize>j << 2;
    let sumDy: f32 = 0;
    let sumDyXhat: f32 = 0;
    for (let p = o; p < end; p += row) {
      const g = gradientAt(dy, a, p);
      sumDy += g;
      sumDyXhat += g * load<f32>(xhat + p);
    }
    store<f32>(dbeta + o, sumDy);
    store<f32>(dgamma + o, sumDyXhat);
    const scale = (load<f32>(gamma + o) * load<f32>(invStd + o)) / <f32>rows;
    for (let p = o; p < end; p += row) {
      store<f32>(dx + p, scale * (<f32>rows * gradientAt(dy, a, p) - sumDy - load<f32>(xhat + p) * sumDyXhat));
    }
  }
}

/** dy at byte offset p, masked by relu's output `a` > 0 when `a` is given: one value of reluBackward. */
@inline function gradientAt(dy: usize, a: usize, p: usize): f32 {
  return a && !(load<f32>(a + p) > 0) ? 0 : load<f32>(dy + p);
}

/** Features j … j + 4·vectors − 1 of batchNormBackward; `vectors` (1 or 4) and `masked` are constants once inlined. */
@inline function batchNormBackwardVectors(dy: usize, xhat: usize, invStd: usize, gamma: usize, dx: usize, dgamma: usize, dbeta: usize, rows: i32, size: i32, j: i32, vectors: i32, a: usize, masked: bool): void {
  const row = <usize>size << 2;
  const o = <usize>j << 2;
  const end = <usize>rows * row + o;
  const n = f32x4.splat(<f32>rows);
  let d0 = f32x4.splat(0), d1 = f32x4.splat(0), d2 = f32x4.splat(0), d3 = f32x4.splat(0);
  let e0 = f32x4.splat(0), e1 = f32x4.splat(0), e2 = f32x4.splat(0), e3 = f32x4.splat(0);
  for (let p = o; p < end; p += row) {
    const g0 = maskedBy(masked, v128.load(dy + p), a, p);
    d0 = f32x4.add(d0, g0);
    e0 = madd(g0, v128.load(xhat + p), e0);
    if (vectors > 1) {
      const g1 = maskedBy(masked, v128.load(dy + p, 16), a, p + 16);
      const g2 = maskedBy(masked, v128.load(dy + p, 32), a, p + 32);
      const g3 = maskedBy(masked, v128.load(dy + p, 48), a, p + 48);
      d1 = f32x4.add(d1, g1);
      d2 = f32x4.add(d2, g2);
      d3 = f32x4.add(d3, g3);
      e1 = madd(g1, v128.load(xhat + p, 16), e1);
      e2 = madd(g2, v128.load(xhat + p, 32), e2);
      e3 = madd(g3, v128.load(xhat + p, 48), e3);
    }
  }
  const db = dbeta + o, dg = dgamma + o;
  v128.store(db, d0); v128.store(dg, e0);
  if (vectors > 1) {
    v128.store(db, d1, 16); v128.store(dg, e1, 16);
    v128.store(db, d2, 32); v128.store(dg, e2, 32);
    v128.store(db, d3, 48); v128.store(dg, e3, 48);
  }
  const c0 = f32x4.div(f32x4.mul(v128.load(gamma + o), v128.load(invStd + o)), n);
  const c1 = vectors > 1 ? f32x4.div(f32x4.mul(v128.load(gamma + o, 16), v128.load(invStd + o, 16)), n) : c0;
  const c2 = vectors > 1 ? f32x4.div(f32x4.mul(v128.load(gamma + o, 32), v128.load(invStd + o, 32)), n) : c0;
  const c3 = vectors > 1 ? f32x4.div(f32x4.mul(v128.load(gamma + o, 48), v128.load(invStd + o, 48)), n) : c0;
  for (let p = o; p < end; p += row) {
    v128.store(dx + p, f32x4.mul(c0, f32x4.sub(f32x4.sub(f32x4.mul(n, maskedBy(masked, v128.load(dy + p), a, p)), d0), f32x4.mul(v128.load(xhat + p), e0))));
    if (vectors > 1) {
      v128.store(dx + p, f32x4.mul(c1, f32x4.sub(f32x4.sub(f32x4.mul(n, maskedBy(masked, v128.load(dy + p, 16), a, p + 16)), d1), f32x4.mul(v128.load(xhat + p, 16), e1))), 16);
      v128.store(dx + p, f32x4.mul(c2, f32x4.sub(f32x4.sub(f32x4.mul(n, maskedBy(masked, v128.load(dy + p, 32), a, p + 32)), d2), f32x4.mul(v128.load(xhat + p, 32), e2))), 32);
      v128.store(dx + p, f32x4.mul(c3, f32x4.sub(f32x4.sub(f32x4.mul(n, maskedBy(masked, v128.load(dy + p, 48), a, p + 48)), d3), f32x4.mul(v128.load(xhat + p, 48), e3))), 48);
    }
  }
}


/** out = (x − mean)·invStd per column, for `rows` rows of `cols` values. */
export function standardize(x: usize, out: usize, mean: usize, invStd: usize, rows: i32, cols: i32): void {
  const cols4 = cols & ~3;
  for (let i = 0; i < rows; i++) {
    const row = <usize>i * cols * 4;
    for (let j = 0; j < cols4; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + row + o, f32x4.mul(f32x4.sub(v128.load(x + row + o), v128.load(mean + o)), v128.load(invStd + o)));
    }
    for (let j = cols4; j < cols; j++) {
      const o = <usize>j << 2;
      store<f32>(out + row + o, (load<f32>(x + row + o) - load<f32>(mean + o)) * load<f32>(invStd + o));
    }
  }
}
