import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { channelAffine } from '../../src/tensor/channel-affine.js';
import { randn, tensor } from '../../src/tensor/create.js';
import { add, gt, mul, sub } from '../../src/tensor/elementwise.js';
import type { DType } from '../../src/tensor/dtype.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { reluBackward, square } from '../../src/tensor/unary.js';
import { batchNormStats } from '../../src/tensor/batch-norm.js';
import { permute, reshape } from '../../src/tensor/movement.js';
import { mean, sum } from '../../src/tensor/reduce.js';
import { BACKENDS, useBackend } from '../support/backends.js';
import { errorOf, runs } from '../support/check.js';

// Ops that do in one pass what a chain of element-wise ops did: they must give the chain's bits.
const SPECIAL = [0, -0, 1, -1, NaN, Infinity, -Infinity, 1e-45, -3.4e38, 2 ** -1074];

/** Values with the specials mixed in (float32 rounds them as a Float32Array does). */
function valuesArb(n: number): fc.Arbitrary<number[]> {
  return fc.array(fc.oneof(fc.double({ noNaN: false }), fc.constantFrom(...SPECIAL)), { minLength: n, maxLength: n });
}

const bits = (t: Tensor): string[] => Array.from(t.data, (v) => (Object.is(v, -0) ? '-0' : String(v)));

describe.each(BACKENDS)('one-pass ops equal their element-wise chains bit for bit (%s backend)', (backend) => {
  useBackend(backend);

  it('channelAffine(x, m, s, b) = add(mul(sub(x, m), s), b), float32 and float64', () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 9 }), fc.constantFrom<DType>('float32', 'float64'))
      .chain(([n, c, p, dtype]) => fc.tuple(fc.constant([n, c, p]), fc.constant(dtype), valuesArb(n * c * p), valuesArb(c), valuesArb(c), valuesArb(c)));
    fc.assert(
      fc.property(arb, ([shape, dtype, xv, mv, sv, bv]) => {
        const pshape = [1, shape[1]!, 1];
        const [x, m, s, b] = [tensor(xv, { shape, dtype }), tensor(mv, { shape: pshape, dtype }), tensor(sv, { shape: pshape, dtype }), tensor(bv, { shape: pshape, dtype })];
        expect(bits(channelAffine(x, m, s, b))).toEqual(bits(add(mul(sub(x, m), s), b)));
      }),
      runs(60),
    );
  });

  it('also above the size where the element-wise chain runs on the wasm kernels', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = randn([2, 3, 40, 41], { rng: 1, dtype });
      const [m, s, b] = [2, 3, 4].map((seed) => randn([1, 3, 1, 1], { rng: seed, dtype })) as [Tensor, Tensor, Tensor];
      expect(bits(channelAffine(x, m, s, b))).toEqual(bits(add(mul(sub(x, m), s), b)));
      const g = randn([2, 3, 40, 41], { rng: 5, dtype });
      expect(bits(reluBackward(g, x))).toEqual(bits(mul(g, gt(x, 0))));
    }
  });

  it('a sum around a kept block of axes (per-channel sums) = the sum of the permuted copy', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [shape, axes] of [[[3, 4, 5, 6], [0, 2, 3]], [[2, 3, 4, 5, 2], [0, 1, 4]], [[2, 300, 7], [0, 2]]] as const) {
        const x = randn([...shape], { rng: 9, dtype });
        const kept = shape.map((_, i) => i).filter((i) => !(axes as readonly number[]).includes(i));
        const moved = permute(x, [...kept, ...axes]);
        const flat = reshape(moved, [kept.reduce((p, i) => p * shape[i]!, 1), -1]);
        expect(bits(sum(x, [...axes]))).toEqual(bits(sum(flat, 1)));
        expect(sum(x, [...axes], { keepdims: true }).shape).toEqual(shape.map((d, i) => (kept.includes(i) ? d : 1)));
      }
    }
  });

  it("batchNormStats = mean(x) and mean(square(sub(x, mean))) over every axis but the channels", () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const shape of [[4, 3, 5, 6], [2, 5, 40, 41], [1, 2, 3]]) {
        const x = randn(shape, { rng: 12, dtype });
        const axes = shape.map((_, i) => i).filter((i) => i !== 1);
        const mu = mean(x, axes, { keepdims: true });
        const { mean: m, variance } = batchNormStats(x);
        expect(bits(m)).toEqual(bits(mu));
        expect(m.shape).toEqual(mu.shape);
        expect(bits(variance)).toEqual(bits(mean(square(sub(x, mu)), axes, { keepdims: true })));
      }
    }
  });

  it('reluBackward(g, x) = mul(g, gt(x, 0)), float32 and float64', () => {
    const arb = fc
      .tuple(fc.integer({ min: 1, max: 40 }), fc.constantFrom<DType>('float32', 'float64'))
      .chain(([n, dtype]) => fc.tuple(fc.constant(dtype), valuesArb(n), valuesArb(n)));
    fc.assert(
      fc.property(arb, ([dtype, gv, xv]) => {
        const [g, x] = [tensor(gv, { dtype }), tensor(xv, { dtype })];
        expect(bits(reluBackward(g, x))).toEqual(bits(mul(g, gt(x, 0))));
      }),
      runs(60),
    );
  });
});

describe('one-pass ops: errors', () => {
  it('name the shapes at fault', () => {
    const x = tensor([1, 2, 3, 4], { shape: [1, 2, 2] });
    const p = tensor([1, 2], { shape: [1, 2, 1] });
    expect(errorOf(() => channelAffine(x, tensor([1, 2], { shape: [2] }), p, p))).toBe('channelAffine: mean must have shape [1,2,1] (one value per channel of input [1,2,2]), got [2]');
    expect(errorOf(() => channelAffine(tensor([1, 2]), p, p, p))).toBe('channelAffine: input must have a channel axis (rank >= 2), got [2]');
    expect(errorOf(() => reluBackward(x, p))).toBe('reluBackward: gradient [1,2,2] and input [1,2,1] differ in shape');
  });
});
