/**
 * Deterministic elementary functions: exp, expm1, log, log1p and tanh written with IEEE-exact
 * arithmetic only (+ − × ÷ and bit manipulation), ported from fdlibm 5.3 (Sun Microsystems,
 * freely redistributable), the algorithms V8 itself uses. `Math.exp` and friends may differ in
 * the last bit between JS engines (V8 vs JavaScriptCore), which would make camlab's maps differ
 * between Node/Deno and Bun; these give the same bits in every runtime (and match V8's Math.*).
 * Errors below 1 ulp.
 */

// Word access to a double through an aliased typed array (faster than DataView); the word order
// is detected once, so this is correct on little- and big-endian hosts alike.
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
f64[0] = 1;
const HI = u32[1] === 0x3ff00000 ? 1 : 0;
const LO = 1 - HI;

function high(x: number): number {
  f64[0] = x;
  return u32[HI]! | 0;
}

function low(x: number): number {
  f64[0] = x;
  return u32[LO]!;
}

function withHigh(x: number, hi: number): number {
  f64[0] = x;
  u32[HI] = hi;
  return f64[0]!;
}

function fromWords(hi: number, lo: number): number {
  u32[HI] = hi;
  u32[LO] = lo;
  return f64[0]!;
}

const LN2_HI = 6.93147180369123816490e-1;
const LN2_LO = 1.90821492927058770002e-10;
const INV_LN2 = 1.44269504088896338700e0;
const TWO54 = 1.80143985094819840000e16;
const HUGE = 1.0e300;
const TWOM1000 = 9.33263618503218878990e-302;

const P1 = 1.66666666666666019037e-1;
const P2 = -2.77777777770155933842e-3;
const P3 = 6.61375632143793436117e-5;
const P4 = -1.65339022054652515390e-6;
const P5 = 4.13813679705723846039e-8;

/** e^x (fdlibm e_exp.c). */
export function detExp(x: number): number {
  let hx = high(x);
  const xsb = (hx >>> 31) & 1;
  hx &= 0x7fffffff;
  let hi = 0;
  let lo = 0;
  let k = 0;
  if (hx >= 0x40862e42) {
    // |x| >= 709.78…: overflow, underflow, NaN or ±Infinity
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | low(x)) !== 0) return x + x; // NaN
      return xsb === 0 ? x : 0; // exp(+inf) = inf, exp(−inf) = 0
    }
    if (x > 7.09782712893383973096e2) return Infinity;
    if (x < -7.45133219101941108420e2) return 0;
  }
  if (hx > 0x3fd62e42) {
    // |x| > 0.5 ln2: reduce to r = x − k·ln2 with |r| <= 0.5 ln2
    if (hx < 0x3ff0a2b2) {
      if (x === 1) return Math.E; // exactly rounded e (FreeBSD msun's special case, as V8)
      hi = x - (xsb === 0 ? LN2_HI : -LN2_HI);
      lo = xsb === 0 ? LN2_LO : -LN2_LO;
      k = 1 - xsb - xsb;
    } else {
      k = Math.trunc(INV_LN2 * x + (xsb === 0 ? 0.5 : -0.5));
      hi = x - k * LN2_HI;
      lo = k * LN2_LO;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {
    // |x| < 2^-28
    if (HUGE + x > 1) return 1 + x;
  } else {
    k = 0;
  }
  const t = x * x;
  const c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  if (k === 0) return 1 - ((x * c) / (c - 2) - x);
  const y = 1 - ((lo - (x * c) / (2 - c)) - hi);
  if (k >= -1021) return withHigh(y, high(y) + (k << 20));
  return withHigh(y, high(y) + ((k + 1000) << 20)) * TWOM1000;
}

const Q1 = -3.33333333333331316428e-2;
const Q2 = 1.58730158725481460165e-3;
const Q3 = -7.93650757867487942473e-5;
const Q4 = 4.00821782732936239552e-6;
const Q5 = -2.01099218183624371326e-7;

/** e^x − 1, accurate near 0 (fdlibm s_expm1.c). */
export function detExpm1(x: number): number {
  let hx = high(x);
  const xsb = hx & 0x80000000;
  hx &= 0x7fffffff;
  let hi = 0;
  let lo = 0;
  let c = 0;
  let k = 0;
  if (hx >= 0x4043687a) {
    // |x| >= 56·ln2
    if (hx >= 0x40862e42) {
      if (hx >= 0x7ff00000) {
        if (((hx & 0xfffff) | low(x)) !== 0) return x + x; // NaN
        return xsb === 0 ? x : -1;
      }
      if (x > 7.09782712893383973096e2) return Infinity;
    }
    if (xsb !== 0) return -1; // x < −56·ln2: e^x − 1 rounds to −1
  }
  if (hx > 0x3fd62e42) {
    if (hx < 0x3ff0a2b2) {
      if (xsb === 0) {
        hi = x - LN2_HI;
        lo = LN2_LO;
        k = 1;
      } else {
        hi = x + LN2_HI;
        lo = -LN2_LO;
        k = -1;
      }
    } else {
      k = Math.trunc(INV_LN2 * x + (xsb === 0 ? 0.5 : -0.5));
      hi = x - k * LN2_HI;
      lo = k * LN2_LO;
    }
    x = hi - lo;
    c = hi - x - lo;
  } else if (hx < 0x3c900000) {
    return x; // |x| < 2^-54
  } else {
    k = 0;
  }
  const hfx = 0.5 * x;
  const hxs = x * hfx;
  const r1 = 1 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))));
  const t0 = 3 - r1 * hfx;
  let e = hxs * ((r1 - t0) / (6 - x * t0));
  if (k === 0) return x - (x * e - hxs);
  e = x * (e - c) - c;
  e -= hxs;
  if (k === -1) return 0.5 * (x - e) - 0.5;
  if (k === 1) return x < -0.25 ? -2 * (e - (x + 0.5)) : 1 + 2 * (x - e);
  if (k <= -2 || k > 56) {
    const y = 1 - (e - x);
    return withHigh(y, high(y) + (k << 20)) - 1;
  }
  if (k < 20) {
    const t = fromWords(0x3ff00000 - (0x200000 >> k), 0); // 1 − 2^-k
    const y = t - (e - x);
    return withHigh(y, high(y) + (k << 20));
  }
  const t = fromWords((0x3ff - k) << 20, 0); // 2^-k
  const y = x - (e + t) + 1;
  return withHigh(y, high(y) + (k << 20));
}

const LG1 = 6.666666666666735130e-1;
const LG2 = 3.999999999940941908e-1;
const LG3 = 2.857142874366239149e-1;
const LG4 = 2.222219843214978396e-1;
const LG5 = 1.818357216161805012e-1;
const LG6 = 1.531383769920937332e-1;
const LG7 = 1.479819860511658591e-1;

/** Natural logarithm with IEEE special cases: log(0) = −Infinity, log(x < 0) = NaN (fdlibm e_log.c). */
export function detLogAny(x: number): number {
  let hx = high(x);
  const lx = low(x);
  let k = 0;
  if (hx < 0x00100000) {
    // x < 2^-1022: zero, negative or subnormal
    if (((hx & 0x7fffffff) | lx) === 0) return -Infinity;
    if (hx < 0) return NaN;
    k -= 54;
    x *= TWO54;
    hx = high(x);
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const i = (hx + 0x95f64) & 0x100000;
  x = withHigh(x, hx | (i ^ 0x3ff00000)); // normalize x or x/2
  k += i >> 20;
  const f = x - 1;
  if ((0x000fffff & (2 + hx)) < 3) {
    // −2^-20 <= f < 2^-20
    if (f === 0) return k === 0 ? 0 : k * LN2_HI + k * LN2_LO;
    const r = f * f * (0.5 - 0.33333333333333333 * f);
    return k === 0 ? f - r : k * LN2_HI - (r - k * LN2_LO - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const w = z * z;
  const t1 = w * (LG2 + w * (LG4 + w * LG6));
  const t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)));
  const r = t2 + t1;
  const j = (hx - 0x6147a) | (0x6b851 - hx);
  if (j > 0) {
    const hfsq = 0.5 * f * f;
    return k === 0 ? f - (hfsq - s * (hfsq + r)) : k * LN2_HI - (hfsq - (s * (hfsq + r) + k * LN2_LO) - f);
  }
  return k === 0 ? f - s * (f - r) : k * LN2_HI - (s * (f - r) - k * LN2_LO - f);
}

/** log(1 + x), accurate near 0 (fdlibm s_log1p.c). */
export function detLog1p(x: number): number {
  const hx = high(x);
  const ax = hx & 0x7fffffff;
  let k = 1;
  let f = 0;
  let hu = 0;
  let c = 0;
  if (hx < 0x3fda827a) {
    // x < 0.41422
    if (ax >= 0x3ff00000) return x === -1 ? -Infinity : NaN; // x <= −1
    if (ax < 0x3e200000) {
      // |x| < 2^-29
      if (TWO54 + x > 0 && ax < 0x3c900000) return x;
      return x - x * x * 0.5;
    }
    if (hx > 0 || hx <= (0xbfd2bec3 | 0)) {
      // −0.2929 < x < 0.41422
      k = 0;
      f = x;
      hu = 1;
    }
  }
  if (hx >= 0x7ff00000) return x + x;
  if (k !== 0) {
    let u: number;
    if (hx < 0x43400000) {
      u = 1 + x;
      hu = high(u);
      k = (hu >> 20) - 1023;
      c = k > 0 ? 1 - (u - x) : x - (u - 1);
      c /= u;
    } else {
      u = x;
      hu = high(u);
      k = (hu >> 20) - 1023;
      c = 0;
    }
    hu &= 0x000fffff;
    if (hu < 0x6a09e) {
      u = withHigh(u, hu | 0x3ff00000);
    } else {
      k += 1;
      u = withHigh(u, hu | 0x3fe00000);
      hu = (0x00100000 - hu) >> 2;
    }
    f = u - 1;
  }
  const hfsq = 0.5 * f * f;
  if (hu === 0) {
    // |f| < 2^-20
    if (f === 0) {
      if (k === 0) return 0;
      c += k * LN2_LO;
      return k * LN2_HI + c;
    }
    const R = hfsq * (1 - 0.66666666666666666 * f);
    return k === 0 ? f - R : k * LN2_HI - (R - (k * LN2_LO + c) - f);
  }
  const s = f / (2 + f);
  const z = s * s;
  const R = z * (LG1 + z * (LG2 + z * (LG3 + z * (LG4 + z * (LG5 + z * (LG6 + z * LG7))))));
  return k === 0 ? f - (hfsq - s * (hfsq + R)) : k * LN2_HI - (hfsq - (s * (hfsq + R) + (k * LN2_LO + c)) - f);
}

/** Hyperbolic tangent (fdlibm s_tanh.c through expm1, with FreeBSD msun's small-argument cut-off). */
export function detTanh(x: number): number {
  const jx = high(x);
  const ix = jx & 0x7fffffff;
  if (ix >= 0x7ff00000) {
    if (x !== x) return x; // NaN
    return jx >= 0 ? 1 : -1;
  }
  let z: number;
  if (ix < 0x40360000) {
    // |x| < 22
    if (ix < 0x3e300000) return x; // |x| < 2^-28: tanh x rounds to x (FreeBSD's threshold, as V8)
    if (ix >= 0x3ff00000) {
      const t = detExpm1(2 * Math.abs(x));
      z = 1 - 2 / (t + 2);
    } else {
      const t = detExpm1(-2 * Math.abs(x));
      z = -t / (t + 2);
    }
  } else {
    z = 1; // |x| >= 22: tanh rounds to ±1
  }
  return jx >= 0 ? z : -z;
}

// erf: fdlibm s_erf.c's rational approximations on [0, 0.84375), [0.84375, 1.25), [1.25, 1/0.35)
// and [1/0.35, 6), each a ratio of polynomials in x², |x| − 1 or 1/x² (coefficients from fdlibm).
const ERX = 8.45062911510467529297e-1;
const EFX = 1.28379167095512586316e-1;
const EFX8 = 1.02703333676410069053;
const PP = [1.28379167095512558561e-1, -3.25042107247001499370e-1, -2.84817495755985104766e-2, -5.77027029648944159157e-3, -2.37630166566501626084e-5] as const;
const QQ = [3.97917223959155352819e-1, 6.50222499887672944485e-2, 5.08130628187576562776e-3, 1.32494738004321644526e-4, -3.96022827877536812320e-6] as const;
const PA = [-2.36211856075265944077e-3, 4.14856118683748331666e-1, -3.72207876035701323847e-1, 3.18346619901161753674e-1, -1.10894694282396677476e-1, 3.54783043256182359371e-2, -2.16637559486879084300e-3] as const;
const QA = [1.06420880400844228286e-1, 5.40397917702171048937e-1, 7.18286544141962662868e-2, 1.26171219808761642112e-1, 1.36370839120290507362e-2, 1.19844998467991074170e-2] as const;
const RA = [-9.86494403484714822705e-3, -6.93858572707181764372e-1, -1.05586262253232909814e1, -6.23753324503260060396e1, -1.62396669462573470355e2, -1.84605092906711035994e2, -8.12874355063065934246e1, -9.81432934416914548592] as const;
const SA = [1.96512716674392571292e1, 1.37657754143519042600e2, 4.34565877475229228821e2, 6.45387271733267880336e2, 4.29008140027567833386e2, 1.08635005541779435134e2, 6.57024977031928170135, -6.04244152148580987438e-2] as const;
const RB = [-9.86494292470009928597e-3, -7.99283237680523006574e-1, -1.77579549177547519889e1, -1.60636384855821916062e2, -6.37566443368389627722e2, -1.02509513161107724954e3, -4.83519191608651397019e2] as const;
const SB = [3.03380607434824582924e1, 3.25792512996573918826e2, 1.53672958608443695994e3, 3.19985821950859553908e3, 2.55305040643316442583e3, 4.74528541206955367215e2, -2.24409524465858183362e1] as const;

/** c0 + z·(c1 + z·(c2 + …)), Horner's rule from the highest coefficient down (fdlibm's order). */
function horner(c: readonly number[], z: number): number {
  let r = c[c.length - 1]!;
  for (let i = c.length - 2; i >= 0; i--) r = c[i]! + z * r;
  return r;
}

/**
 * The error function erf x = 2/√π ∫₀ˣ e^(−t²) dt (fdlibm s_erf.c: rational approximations on four
 * intervals; beyond, erf x = 1 − e^(−x²−0.5625+R/S)/x with −x² split exactly so the exponential
 * keeps full precision). Errors below 1 ulp; ±1 beyond |x| = 6.
 */
export function detErf(x: number): number {
  const hx = high(x);
  const ix = hx & 0x7fffffff;
  if (ix >= 0x7ff00000) {
    if (x !== x) return x; // NaN
    return hx >= 0 ? 1 : -1;
  }
  if (ix < 0x3feb0000) {
    // |x| < 0.84375: erf x = x + x·R(x²)
    if (ix < 0x3e300000) return ix < 0x00800000 ? 0.125 * (8 * x + EFX8 * x) : x + EFX * x; // |x| < 2^-28 (tiny: scaled against underflow)
    const z = x * x;
    const r = horner(PP, z);
    const s = 1 + z * horner(QQ, z);
    return x + x * (r / s);
  }
  if (ix < 0x3ff40000) {
    // 0.84375 ≤ |x| < 1.25: erf x = ±(c + P(s)/Q(s)), s = |x| − 1
    const s = Math.abs(x) - 1;
    const p = horner(PA, s);
    const q = 1 + s * horner(QA, s);
    return hx >= 0 ? ERX + p / q : -ERX - p / q;
  }
  if (ix >= 0x40180000) return hx >= 0 ? 1 : -1; // |x| ≥ 6 (fdlibm: 1 − tiny, which rounds to 1)
  const ax = Math.abs(x);
  const s = 1 / (ax * ax);
  const small = ix < 0x4006db6e; // |x| < 1/0.35
  const R = small ? horner(RA, s) : horner(RB, s);
  const S = 1 + s * (small ? horner(SA, s) : horner(SB, s));
  const z = fromWords(high(ax), 0); // ax with its low word cleared (fdlibm's SET_LOW_WORD(z, 0))
  const r = detExp(-z * z - 0.5625) * detExp((z - ax) * (z + ax) + R / S);
  return hx >= 0 ? 1 - r / ax : r / ax - 1;
}
