import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FloatArray } from '../../src/tensor/dtype.js';
import { GEMM_BLOCKING, gemm } from '../../src/tensor/gemm.js';
import { Rng } from '../../src/tensor/rng.js';
import { BACKENDS, useBackend } from '../support/backends.js';
import { expectClose, runs } from '../support/check.js';

type Kind = 'f32' | 'f64';

function filled(kind: Kind, n: number, rng: Rng): FloatArray {
  const d = kind === 'f32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.normal();
  return d;
}

interface Layout {
  off: number;
  rs: number;
  cs: number;
  len: number;
}

/** A rows×cols matrix stored row-major or column-major, with a leading offset and padded rows. */
function layout(rows: number, cols: number, colMajor: boolean, off: number, pad: number): Layout {
  if (colMajor) {
    const ld = rows + pad;
    return { off, rs: 1, cs: ld, len: off + ld * cols };
  }
  const ld = cols + pad;
  return { off, rs: ld, cs: 1, len: off + ld * rows };
}

/**
 * The plain triple loop in float64, and per element the size of its terms (Σ_k |A(i,k)·B(k,j)|,
 * plus |C| when accumulating; 0 outside the block), the scale of contract.ts's float32 bound.
 */
function refGemm(
  M: number, N: number, K: number,
  a: ArrayLike<number>, la: Layout, b: ArrayLike<number>, lb: Layout,
  c0: ArrayLike<number>, cOff: number, ldc: number, accumulate: boolean,
): { c: number[]; scale: number[] } {
  const c = Array.from(c0);
  const scale = new Array<number>(c.length).fill(0);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      let t = 0;
      for (let k = 0; k < K; k++) {
        const p = a[la.off + i * la.rs + k * la.cs]! * b[lb.off + k * lb.rs + j * lb.cs]!;
        s += p;
        t += Math.abs(p);
      }
      const p = cOff + i * ldc + j;
      scale[p] = t + (accumulate ? Math.abs(c[p]!) : 0);
      c[p] = accumulate ? c[p]! + s : s;
    }
  }
  return { c, scale };
}

const caseArb = fc.record({
  M: fc.integer({ min: 1, max: 23 }),
  N: fc.integer({ min: 1, max: 23 }),
  K: fc.integer({ min: 0, max: 30 }),
  aColMajor: fc.boolean(),
  bColMajor: fc.boolean(),
  aOff: fc.integer({ min: 0, max: 5 }),
  bOff: fc.integer({ min: 0, max: 5 }),
  cOff: fc.integer({ min: 0, max: 5 }),
  aPad: fc.integer({ min: 0, max: 3 }),
  bPad: fc.integer({ min: 0, max: 3 }),
  cPad: fc.integer({ min: 0, max: 3 }),
  accumulate: fc.boolean(),
  kinds: fc.tuple(fc.constantFrom<Kind>('f32', 'f64'), fc.constantFrom<Kind>('f32', 'f64'), fc.constantFrom<Kind>('f32', 'f64')),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

function runCase(M: number, N: number, K: number, o: {
  aColMajor: boolean; bColMajor: boolean; aOff: number; bOff: number; cOff: number; aPad: number; bPad: number; cPad: number;
  accumulate: boolean; kinds: [Kind, Kind, Kind]; seed: number;
}): void {
  const rng = new Rng(o.seed);
  const la = layout(M, K, o.aColMajor, o.aOff, o.aPad);
  const lb = layout(K, N, o.bColMajor, o.bOff, o.bPad);
  const ldc = N + o.cPad;
  const a = filled(o.kinds[0], Math.max(la.len, 1), rng);
  const b = filled(o.kinds[1], Math.max(lb.len, 1), rng);
  const c = filled(o.kinds[2], o.cOff + ldc * M, rng);
  const expected = refGemm(M, N, K, a, la, b, lb, c, o.cOff, ldc, o.accumulate);
  const before = Array.from(c);
  gemm(M, N, K, a, la.off, la.rs, la.cs, b, lb.off, lb.rs, lb.cs, c, o.cOff, ldc, o.accumulate);
  // Entries outside the M×N block (offset, row padding) must be untouched: compare all of c.
  if (o.kinds[2] === 'f64') {
    expectClose(c, expected.c, 1e-12, 1e-12);
    return;
  }
  // float32: within contract.ts's bound, 2e-6 of the size of the terms (exact outside the block).
  for (let i = 0; i < c.length; i++) {
    const bound = 2e-6 * expected.scale[i]!;
    const err = Math.abs(c[i]! - expected.c[i]!);
    if (!(err <= bound) && !(bound === 0 && c[i] === Math.fround(before[i]!) && expected.c[i] === before[i])) {
      expect.fail(`element ${i}: got ${c[i]}, expected ${expected.c[i]} within ${bound}`);
    }
  }
}

describe.each(BACKENDS)('gemm (%s backend)', (backend) => {
  useBackend(backend);

  it('matches the triple loop for any strides, offsets, edge tiles and dtypes', () => {
    fc.assert(fc.property(caseArb, (o) => runCase(o.M, o.N, o.K, o)), runs(300));
  });

  it('crosses every cache block boundary (M > MC, K > KC, N > NC)', () => {
    const { MC_MAX, KC_MAX, NC_MAX } = GEMM_BLOCKING;
    const base = { aOff: 1, bOff: 2, cOff: 3, aPad: 1, bPad: 0, cPad: 2, seed: 7 };
    runCase(MC_MAX * 2 + 5, 7, 13, { ...base, aColMajor: false, bColMajor: false, accumulate: false, kinds: ['f64', 'f64', 'f64'] });
    runCase(4, 5, KC_MAX * 2 + 7, { ...base, aColMajor: true, bColMajor: false, accumulate: true, kinds: ['f64', 'f32', 'f64'] });
    runCase(2, NC_MAX + 10, 3, { ...base, aColMajor: false, bColMajor: true, accumulate: false, kinds: ['f32', 'f64', 'f64'] });
    runCase(MC_MAX + 1, NC_MAX + 1, KC_MAX + 1, { ...base, aColMajor: true, bColMajor: true, accumulate: true, kinds: ['f32', 'f32', 'f32'] });
  });

  it('is exact on small integers (every product and sum representable)', () => {
    const M = 7, N = 11, K = 300;
    const a = Float64Array.from({ length: M * K }, (_, i) => ((i * 7) % 13) - 6);
    const b = Float64Array.from({ length: K * N }, (_, i) => ((i * 5) % 11) - 5);
    const c = new Float64Array(M * N).fill(Number.NaN); // overwritten, never read, when accumulate = false
    gemm(M, N, K, a, 0, K, 1, b, 0, N, 1, c, 0, N, false);
    const expected = refGemm(M, N, K, a, { off: 0, rs: K, cs: 1, len: 0 }, b, { off: 0, rs: N, cs: 1, len: 0 }, new Float64Array(M * N), 0, N, false);
    expect(Array.from(c)).toEqual(expected.c);
    const c32 = new Float32Array(M * N);
    gemm(M, N, K, Float32Array.from(a), 0, K, 1, Float32Array.from(b), 0, N, 1, c32, 0, N, false);
    expect(Array.from(c32)).toEqual(expected.c);
  });

  it('K = 0 gives zeros (or leaves C unchanged when accumulating)', () => {
    const c = Float64Array.from([1, 2, 3, 4]);
    gemm(2, 2, 0, new Float64Array(0), 0, 0, 1, new Float64Array(0), 0, 2, 1, c, 0, 2, true);
    expect(Array.from(c)).toEqual([1, 2, 3, 4]);
    gemm(2, 2, 0, new Float64Array(0), 0, 0, 1, new Float64Array(0), 0, 2, 1, c, 0, 2, false);
    expect(Array.from(c)).toEqual([0, 0, 0, 0]);
  });

  it('rejects operands that do not hold the described matrices', () => {
    const a = new Float64Array(6);
    const b = new Float64Array(6);
    const c = new Float64Array(4);
    expect(() => gemm(2, 2, 3, a, 1, 3, 1, b, 0, 2, 1, c, 0, 2, false)).toThrow('gemm: A: 2x3 at offset 1 with strides (3, 1) reaches index 6, outside its 6 elements');
    expect(() => gemm(2, 2, 3, a, 0, 3, 1, b, 0, 2, 1, c, 1, 2, false)).toThrow('gemm: C: 2x2 at offset 1');
    expect(() => gemm(-1, 2, 3, a, 0, 3, 1, b, 0, 2, 1, c, 0, 2, false)).toThrow('gemm: sizes must be non-negative integers, got M=-1, N=2, K=3');
  });
});
