import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { randn, scalar, tensor } from '../../src/tensor/create.js';
import type { DType } from '../../src/tensor/dtype.js';
import { matmul } from '../../src/tensor/matmul.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { BACKENDS, useBackend } from '../support/backends.js';
import { expectClose, runs } from '../support/check.js';

/** Element (i, j) of the last two dims of `t` at batch multi-index `bi` (broadcast), as stored. */
function readMat(t: Tensor, bi: readonly number[], i: number, j: number): number {
  const s = t.shape;
  const nd = s.length;
  const nbOwn = nd - 2;
  let off = 0;
  let stride = 1;
  const idx: number[] = [];
  for (let d = 0; d < nbOwn; d++) {
    const full = bi[bi.length - nbOwn + d]!;
    idx.push(s[d] === 1 ? 0 : full);
  }
  idx.push(i, j);
  for (let d = nd - 1; d >= 0; d--) {
    off += idx[d]! * stride;
    stride *= s[d]!;
  }
  return t.data[off]!;
}

/** numpy.matmul written out: promote 1-D operands, broadcast batch dims, triple loop, squeeze. */
function refMatmul(a0: Tensor, b0: Tensor, transA: boolean, transB: boolean): { shape: number[]; data: number[] } {
  const aVec = a0.ndim === 1;
  const bVec = b0.ndim === 1;
  const a = aVec ? { t: tensor(Array.from(a0.data), { shape: [1, a0.shape[0]!] }), tr: false } : { t: a0, tr: transA };
  const b = bVec ? { t: tensor(Array.from(b0.data), { shape: [b0.shape[0]!, 1] }), tr: false } : { t: b0, tr: transB };
  const at = (bi: number[], i: number, k: number): number => (a.tr ? readMat(a.t, bi, k, i) : readMat(a.t, bi, i, k));
  const bt = (bi: number[], k: number, j: number): number => (b.tr ? readMat(b.t, bi, j, k) : readMat(b.t, bi, k, j));
  const as = a.t.shape;
  const bs = b.t.shape;
  const M = a.tr ? as[as.length - 1]! : as[as.length - 2]!;
  const K = a.tr ? as[as.length - 2]! : as[as.length - 1]!;
  const N = b.tr ? bs[bs.length - 2]! : bs[bs.length - 1]!;
  const ba = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const nb = Math.max(ba.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < nb; i++) {
    const x = ba[ba.length - nb + i] ?? 1;
    const y = bb[bb.length - nb + i] ?? 1;
    batch.push(Math.max(x, y));
  }
  const data: number[] = [];
  const total = batch.reduce((p, q) => p * q, 1);
  for (let t = 0; t < total; t++) {
    const bi: number[] = [];
    let r = t;
    for (let d = nb - 1; d >= 0; d--) {
      bi.unshift(r % batch[d]!);
      r = Math.floor(r / batch[d]!);
    }
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += at(bi, i, k) * bt(bi, k, j);
        data.push(s);
      }
    }
  }
  const shape = [...batch];
  if (!aVec) shape.push(M);
  if (!bVec) shape.push(N);
  return { shape, data };
}

const dtypeArb = fc.constantFrom<DType>('float64', 'float32');

/** Two broadcast-compatible batch shapes (each dim equal or one side 1; leading dims dropped, so ranks may differ). */
const batchPairArb = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 })), { minLength: 0, maxLength: 3 })
  .chain((dims) =>
    fc.tuple(fc.integer({ min: 0, max: dims.length }), fc.integer({ min: 0, max: dims.length })).map(([dropA, dropB]) => {
      const a = dims.map(([d, m]) => (m === 1 ? 1 : d));
      const b = dims.map(([d, m]) => (m === 2 ? 1 : d));
      return [a.slice(dropA), b.slice(dropB)] as [number[], number[]];
    }),
  );

describe.each(BACKENDS)('matmul (%s backend)', (backend) => {
  useBackend(backend);

  it('matches numpy.matmul semantics (batches broadcast, transposes, dtypes)', () => {
    const arb = fc.record({
      batches: batchPairArb,
      M: fc.integer({ min: 1, max: 8 }),
      N: fc.integer({ min: 1, max: 8 }),
      K: fc.integer({ min: 1, max: 9 }),
      transA: fc.boolean(),
      transB: fc.boolean(),
      dA: dtypeArb,
      dB: dtypeArb,
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(arb, ({ batches: [ba, bb], M, N, K, transA, transB, dA, dB, seed }) => {
        const a = randn([...ba, ...(transA ? [K, M] : [M, K])], { rng: seed, dtype: dA });
        const b = randn([...bb, ...(transB ? [N, K] : [K, N])], { rng: seed + 1, dtype: dB });
        const out = matmul(a, b, { transA, transB });
        const ref = refMatmul(a, b, transA, transB);
        expect([...out.shape]).toEqual(ref.shape);
        const f64 = dA === 'float64' || dB === 'float64';
        expect(out.dtype).toBe(f64 ? 'float64' : 'float32');
        expectClose(out.data, f64 ? ref.data : ref.data.map(Math.fround), f64 ? 1e-12 : 1e-5, f64 ? 1e-12 : 1e-5);
      }),
      runs(200),
    );
  });

  it('treats 1-D operands as numpy does', () => {
    const arb = fc.record({
      batch: fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
      K: fc.integer({ min: 1, max: 7 }),
      N: fc.integer({ min: 1, max: 5 }),
      which: fc.constantFrom('vv', 'vm', 'mv'),
      trans: fc.boolean(),
      seed: fc.integer({ min: 0, max: 1 << 30 }),
    });
    fc.assert(
      fc.property(arb, ({ batch, K, N, which, trans, seed }) => {
        const v = randn([K], { rng: seed });
        const m = which === 'vm' ? randn([...batch, ...(trans ? [N, K] : [K, N])], { rng: seed + 1 }) : randn([...batch, ...(trans ? [K, N] : [N, K])], { rng: seed + 1 });
        const [a, b] = which === 'vv' ? [v, randn([K], { rng: seed + 2 })] : which === 'vm' ? [v, m] : [m, v];
        const opts = which === 'vm' ? { transB: trans } : { transA: trans };
        const out = matmul(a, b, opts);
        const ref = refMatmul(a, b, which === 'mv' && trans, which === 'vm' && trans);
        expect([...out.shape]).toEqual(ref.shape);
        expectClose(out.data, ref.data, 1e-12, 1e-12);
      }),
      runs(100),
    );
    expect(matmul(tensor([1, 2, 3]), tensor([4, 5, 6])).item()).toBe(32);
    expect(matmul(tensor([1, 2]), tensor([[1, 2, 3], [4, 5, 6]])).toArray()).toEqual([9, 12, 15]);
    expect(matmul(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 0, -1])).toArray()).toEqual([-2, -2]);
  });

  it('computes a known product, with the transposes taken without copies', () => {
    const a = tensor([[1, 2], [3, 4], [5, 6]]);
    const b = tensor([[7, 8, 9], [10, 11, 12]]);
    expect(matmul(a, b).toArray()).toEqual([[27, 30, 33], [61, 68, 75], [95, 106, 117]]);
    expect(matmul(b, a, { transA: true, transB: true }).toArray()).toEqual([[27, 61, 95], [30, 68, 106], [33, 75, 117]]);
  });

  it('handles shapes larger than a cache block', () => {
    const a = randn([2, 100, 270], { rng: 3 });
    const b = randn([270, 40], { rng: 4 });
    const ref = refMatmul(a, b, false, false);
    expectClose(matmul(a, b).data, ref.data, 1e-11, 1e-12);
  });

  it('names the op and the shapes in errors', () => {
    const a = randn([2, 3], { rng: 1 });
    const b = randn([4, 5], { rng: 2 });
    expect(() => matmul(a, b)).toThrow('matmul: inner dimensions differ: a [2,3] has 3 columns but b [4,5] has 4 rows');
    expect(() => matmul(a, randn([2, 3], { rng: 1 }), { transB: false })).toThrow('matmul: inner dimensions differ');
    expect(() => matmul(a, b, { transA: true })).toThrow('a [2,3] (transposed) has 2 columns but b [4,5] has 4 rows');
    expect(() => matmul(randn([2, 2, 3], { rng: 1 }), randn([3, 3, 2], { rng: 1 }))).toThrow(
      'matmul: batch dimensions [2] of a [2,2,3] and [3] of b [3,3,2] cannot be broadcast',
    );
    expect(() => matmul(scalar(1), b)).toThrow('matmul: operands must have at least 1 dimension, got a [] and b [4,5]');
  });
});
