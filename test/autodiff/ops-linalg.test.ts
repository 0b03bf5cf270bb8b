import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { mul } from '../../src/autodiff/ops/elementwise.js';
import { matmul, type MatmulOptions } from '../../src/autodiff/ops/linalg.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { tanh } from '../../src/autodiff/ops/unary.js';
import { matmul as matmulKernel } from '../../src/tensor/matmul.js';
import { clone, tensor } from '../../src/tensor/create.js';
import { broadcastPairArb, checkAllOrders, tensorArb, values, type Shape } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';

const dim = fc.integer({ min: 1, max: 3 });
const flags = fc.record({ transA: fc.boolean(), transB: fc.boolean() });

/** Stored shapes of a [.., M, K] and b [.., K, N] under the transpose flags. */
function operandShapes(ba: Shape, bb: Shape, M: number, K: number, N: number, o: MatmulOptions): [Shape, Shape] {
  return [[...ba, ...(o.transA ? [K, M] : [M, K])], [...bb, ...(o.transB ? [N, K] : [K, N])]];
}

/** Batched matmul operands: broadcast batch shapes, matrix sizes, flags, values. */
const batchedArb = fc
  .tuple(broadcastPairArb({ maxRank: 2, maxDim: 3, maxSize: 4 }), dim, dim, dim, flags)
  .chain(([[ba, bb], M, K, N, o]) => {
    const [sa, sb] = operandShapes(ba, bb, M, K, N, o);
    return fc.tuple(tensorArb(sa), tensorArb(sb), fc.constant(o));
  });

describe('matmul: gradcheck, gradgradcheck, thirdOrderGradcheck', () => {
  it('2-D operands, every transpose combination (full Jacobians)', () => {
    const arb = fc.tuple(dim, dim, dim, flags).chain(([M, K, N, o]) => {
      const [sa, sb] = operandShapes([], [], M, K, N, o);
      return fc.tuple(tensorArb(sa), tensorArb(sb), fc.constant(o));
    });
    fc.assert(
      fc.property(arb, ([a, b, o]) => {
        const reports = checkAllOrders((x, y) => matmul(x, y, o), [a, b]);
        expect(reports[0]!.mode).toBe('full');
      }),
      runs(40),
    );
  });

  it('batched with broadcast batch dimensions (random projections)', () => {
    fc.assert(
      fc.property(batchedArb, ([a, b, o]) => {
        checkAllOrders((x, y) => matmul(x, y, o), [a, b], { mode: 'random' });
      }),
      runs(60),
    );
  });

  it('1-D operands: vector·matrix, matrix·vector, vector·vector, batch·vector, vector·batch', () => {
    const arb = fc
      .tuple(dim, dim, fc.integer({ min: 1, max: 2 }), flags, fc.integer({ min: 0, max: 4 }))
      .chain(([K, N, B, o, kind]) => {
        // The flags of a 1-D operand are ignored; those of a 2-D+ operand apply.
        const mat = (t: boolean | undefined, batch: Shape): Shape => [...batch, ...(t ? [N, K] : [K, N])];
        const matA = (t: boolean | undefined, batch: Shape): Shape => [...batch, ...(t ? [K, N] : [N, K])];
        const shapes: [Shape, Shape][] = [
          [[K], mat(o.transB, [])],
          [matA(o.transA, []), [K]],
          [[K], [K]],
          [matA(o.transA, [B]), [K]],
          [[K], mat(o.transB, [B, 1])],
        ];
        const [sa, sb] = shapes[kind]!;
        return fc.tuple(tensorArb(sa), tensorArb(sb), fc.constant(o));
      });
    fc.assert(
      fc.property(arb, ([a, b, o]) => {
        const y = matmul(a, b, o);
        const k = matmulKernel(a, b, o);
        expect([...y.shape]).toEqual([...k.shape]);
        expectClose(y.data, k.data, 0, 0);
        checkAllOrders((x, z) => matmul(x, z, o), [a, b], { mode: a.size + b.size <= 12 ? 'full' : 'random' });
      }),
      runs(60),
    );
  });

  it('non-bilinear compositions: tanh(a·b)·(a·b) and a·(aᵀ·b) (non-zero third derivatives)', () => {
    const arb = fc.tuple(dim, dim).chain(([M, K]) => fc.tuple(tensorArb([M, K]), tensorArb([M, K])));
    fc.assert(
      fc.property(arb, ([a, b]) => {
        checkAllOrders((x, y) => {
          const p = matmul(x, y, { transB: true });
          return mul(tanh(p), p);
        }, [a, b], { mode: 'random' });
        checkAllOrders((x, y) => matmul(x, matmul(x, y, { transA: true })), [a, b], { mode: 'random' });
      }),
      runs(30),
    );
  });
});

describe('matmul: exact gradients', () => {
  it('∂⟨G, A·B⟩/∂A = G·Bᵀ and ∂/∂B = Aᵀ·G, summed over broadcast batch dimensions', () => {
    fc.assert(
      fc.property(batchedArb, ([a0, b0, o]) => {
        const a = requiresGrad(clone(a0));
        const b = requiresGrad(clone(b0));
        const y = matmul(a, b, o);
        const G = tensor(values(y).map((_, i) => Math.sin(i + 1)), { shape: y.shape });
        const [ga, gb] = grad(y, [a, b], { gradOutputs: G });
        // Reference: finite sums by definition, ⟨G, A·B⟩ is linear in A, so e_j picks the entry.
        const ref = (which: 0 | 1): number[] => {
          const base = which === 0 ? a0 : b0;
          return values(base).map((_, j) => {
            const e = tensor(values(base).map((__, i) => (i === j ? 1 : 0)), { shape: base.shape });
            const yy = which === 0 ? matmulKernel(e, b0, o) : matmulKernel(a0, e, o);
            let s = 0;
            for (let i = 0; i < yy.size; i++) s += yy.data[i]! * G.data[i]!;
            return s;
          });
        };
        expectClose(ga!.data, ref(0), 1e-13, 1e-12);
        expectClose(gb!.data, ref(1), 1e-13, 1e-12);
      }),
      runs(30),
    );
  });

  it('vector·vector ignores the transpose flags (as the kernel does)', () => {
    const a = requiresGrad(tensor([1, 2, 3]));
    const b = requiresGrad(tensor([4, -5, 6]));
    for (const o of [{}, { transA: true }, { transB: true }, { transA: true, transB: true }]) {
      const y = matmul(a, b, o);
      expect(y.shape).toEqual([]);
      expect(y.item()).toBe(12);
      const [ga, gb] = grad(y, [a, b]);
      expect(values(ga!)).toEqual([4, -5, 6]);
      expect(values(gb!)).toEqual([1, 2, 3]);
    }
    const [h] = grad(sum(grad(matmul(a, a, { transB: true }), a, { createGraph: true })[0]!), a);
    expect(values(h!)).toEqual([2, 2, 2]);
  });
});
