import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstPrincipalProjection, topEigenpair } from '../../src/cam/pca.js';
import { tensor } from '../../src/tensor/create.js';
import { Rng } from '../../src/tensor/rng.js';
import { errorOf, expectClose, runs } from '../support/check.js';

/** A random symmetric n×n matrix from a seed. */
function symmetric(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) m[i * n + j] = m[j * n + i] = rng.normal();
  return m;
}

function matVec(m: ArrayLike<number>, v: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => m[i * n + j]! * v[j]!).reduce((a, b) => a + b, 0));
}

describe('topEigenpair (cyclic Jacobi)', () => {
  it('by hand: diag(1, 3, 2) and [[2, 1], [1, 2]] (eigenvalues 3 and 1, v = (1, 1)/√2)', () => {
    const d = topEigenpair([1, 0, 0, 0, 3, 0, 0, 0, 2], 3);
    expect(d.value).toBe(3);
    expect(Array.from(d.vector).map(Math.abs)).toEqual([0, 1, 0]);
    const r = topEigenpair([2, 1, 1, 2], 2);
    expectClose([r.value], [3], 1e-15, 1e-15);
    expectClose(Array.from(r.vector).map(Math.abs), [Math.SQRT1_2, Math.SQRT1_2], 1e-15, 1e-15);
  });

  it('random symmetric matrices: M v = λ v, |v| = 1, and λ is the largest Rayleigh quotient', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 1e6 }), (n, seed) => {
        const m = symmetric(n, seed);
        const { value, vector } = topEigenpair(m, n);
        expectClose(matVec(m, vector, n), Array.from(vector, (v) => value * v), 1e-12, 1e-10);
        expectClose([Math.hypot(...vector)], [1], 1e-14, 1e-14);
        const rng = new Rng(seed + 1);
        for (let t = 0; t < 5; t++) {
          const u = Array.from({ length: n }, () => rng.normal());
          const q = matVec(m, u, n).reduce((s, v, i) => s + v * u[i]!, 0) / u.reduce((s, v) => s + v * v, 0);
          expect(q).toBeLessThanOrEqual(value + 1e-12);
        }
      }),
      runs(40),
    );
  });

  it('rejects a malformed or non-finite matrix in one line', () => {
    expect(errorOf(() => topEigenpair([1, 2, 3], 2))).toBe('topEigenpair: expects an n×n matrix, got 3 values for n = 2');
    expect(errorOf(() => topEigenpair([1, NaN, NaN, 1], 2))).toBe('topEigenpair: the matrix holds NaN at [0, 1]');
  });
});

describe('firstPrincipalProjection', () => {
  it('rank one after centring: A_k = c_k f + b_k projects to ‖c‖ (f − mean f), larger side positive', () => {
    const f = [3, -1, 0, 2, 5, -4]; // h = 2, w = 3
    const c = [2, -1, 0.5]; // K = 3 ≤ hw: the K×K Gram path
    const b = [10, -3, 7];
    const data = c.flatMap((ck, k) => f.map((v) => ck * v + b[k]!));
    const p = firstPrincipalProjection(tensor(data, { shape: [1, 3, 2, 3] }));
    const mean = f.reduce((s, v) => s + v, 0) / f.length;
    const norm = Math.hypot(...c);
    // f − mean f runs from −4 − 5/6 to 5 − 5/6: the negative side is larger, so the sign flips.
    const expected = f.map((v) => -norm * (v - mean));
    expectClose(p.data, expected, 1e-12, 1e-12);
    expect([...p.shape]).toEqual([1, 2, 3]);
    // Negating every channel gives the same projection: the sign follows the data, not the solver.
    const neg = firstPrincipalProjection(tensor(data.map((v) => -v), { shape: [1, 3, 2, 3] }));
    expectClose(neg.data, expected, 1e-12, 1e-12);
  });

  it('the hw×hw path (more channels than positions) gives the same projection as the K×K path', () => {
    const rng = new Rng(5);
    // 6 channels on a 2x2 map: hw = 4 < K. Compare with the K-path on the transposed problem by
    // duplicating the positions (doubling hw keeps v₁ and repeats p).
    const a = Array.from({ length: 6 * 4 }, () => rng.normal());
    const p = firstPrincipalProjection(tensor(a, { shape: [1, 6, 2, 2] }));
    const twice = Array.from({ length: 6 }, (_, k) => [...a.slice(k * 4, k * 4 + 4), ...a.slice(k * 4, k * 4 + 4)]).flat();
    const q = firstPrincipalProjection(tensor(twice, { shape: [1, 6, 2, 4] })); // hw = 8 > K = 6
    // Doubling the rows doubles XᵀX, so σ₁ grows by √2 while v₁ stays: p is the same per position.
    const pq = Array.from(q.data.subarray(0, 4));
    expectClose(p.data, pq.map((v) => v), 1e-10, 1e-10);
  });

  it('a constant activation projects to zeros; every image of a batch is its own problem', () => {
    const flat = firstPrincipalProjection(tensor(new Array(2 * 2 * 3).fill(4), { shape: [1, 2, 2, 3] }));
    expect(Array.from(flat.data)).toEqual(new Array(6).fill(0));
    const rng = new Rng(9);
    const a = Array.from({ length: 2 * 3 * 2 * 2 }, () => rng.normal());
    const both = firstPrincipalProjection(tensor(a, { shape: [2, 3, 2, 2] }));
    const second = firstPrincipalProjection(tensor(a.slice(12), { shape: [1, 3, 2, 2] }));
    expect(Array.from(both.data.subarray(4))).toEqual(Array.from(second.data));
  });
});
