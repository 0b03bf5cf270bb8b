import { detLogAny } from './detmath.js';
import { fail } from './errors.js';

/**
 * Seeded generator: xoshiro128** (Blackman & Vigna) on 32-bit integer arithmetic, seeded through
 * splitmix32. Only integer ops, `+ - * /` and `Math.sqrt` (all exactly specified by IEEE 754) are
 * used, and the logarithm for normal sampling is our own, so one seed gives bit-identical numbers
 * in Node, Deno, Bun and browsers. `Math.random` is never used.
 */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) fail('Rng', `seed must be an integer, got ${seed}`);
    // The low 32 bits drive splitmix32; the high word (two's complement, so -1 and 0 differ) is
    // mixed into s1. fmix32(0) = 0, so seeds in [0, 2^32) only use the splitmix stream, and every
    // safe-integer seed gets its own state.
    let x = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) | 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      return fmix32(x);
    };
    this.s0 = next();
    this.s1 = (next() ^ fmix32(hi)) >>> 0;
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1) fail('Rng.int', `bound must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal sample (Marsaglia's polar method with a deterministic logarithm). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * detLog(s)) / s);
      this.spare = v * f;
      return u * f;
    }
  }

  /** A new generator derived from this one (for handing independent streams to sub-tasks). */
  fork(): Rng {
    return new Rng(this.nextUint32() * 2097152 + (this.nextUint32() >>> 11));
  }

  /** Fisher-Yates shuffle of [0, n). */
  permutation(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) fail('Rng.permutation', `length must be a non-negative integer, got ${n}`);
    const p = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }
}

/** MurmurHash3's 32-bit finalizer: a bijection on 32-bit integers with fmix32(0) = 0 (used to mix seeds). */
export function fmix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Natural logarithm of a positive finite double, identical in every JS engine (fdlibm's log from
 * ./detmath.ts, not Math.log, whose last bit may differ between engines). Throws for other input,
 * which would be a bug in the sampler.
 */
export function detLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) fail('detLog', `argument must be positive and finite, got ${x}`);
  return detLogAny(x);
}
