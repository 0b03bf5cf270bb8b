import fc from 'fast-check';
import { expect } from 'vitest';
import { mul } from '../../../src/autodiff/ops/elementwise.js';
import { matmul, type MatmulOptions } from '../../../src/autodiff/ops/linalg.js';
import { tanh } from '../../../src/autodiff/ops/unary.js';
import { matmul as matmulKernel } from '../../../src/tensor/matmul.js';
import { broadcastPairArb, checkAllOrders, tensorArb, type Shape } from '../../support/ad.js';
import { expectClose, runs } from '../../support/check.js';
import { row, type GradTable } from '../../support/grad-rows.js';

const dim = fc.integer({ min: 1, max: 3 });
const flags = fc.record({ transA: fc.boolean(), transB: fc.boolean() });

/** Stored shapes of a [.., M, K] and b [.., K, N] under the transpose flags. */
function operandShapes(ba: Shape, bb: Shape, M: number, K: number, N: number, o: MatmulOptions): [Shape, Shape] {
  return [[...ba, ...(o.transA ? [K, M] : [M, K])], [...bb, ...(o.transB ? [N, K] : [K, N])]];
}

/** Batched matmul operands: broadcast batch shapes, matrix sizes, flags, values. */
export const batchedArb = fc
  .tuple(broadcastPairArb({ maxRank: 2, maxDim: 3, maxSize: 4 }), dim, dim, dim, flags)
  .chain(([[ba, bb], M, K, N, o]) => {
    const [sa, sb] = operandShapes(ba, bb, M, K, N, o);
    return fc.tuple(tensorArb(sa), tensorArb(sb), fc.constant(o));
  });

/** Gradcheck rows run by test/autodiff/ops-linalg.test.ts. */
export const MATMUL_ROWS: GradTable = {
  title: 'matmul: gradcheck, gradgradcheck, thirdOrderGradcheck',
  rows: [
    row('2-D operands, every transpose combination (full Jacobians)', { matmul }, ({ matmul }) => {
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
    }),

    row('batched with broadcast batch dimensions (random projections)', { matmul }, ({ matmul }) => {
      fc.assert(
        fc.property(batchedArb, ([a, b, o]) => {
          checkAllOrders((x, y) => matmul(x, y, o), [a, b], { mode: 'random' });
        }),
        runs(60),
      );
    }),

    row('1-D operands: vector·matrix, matrix·vector, vector·vector, batch·vector, vector·batch', { matmul }, ({ matmul }) => {
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
    }),

    row('non-bilinear compositions: tanh(a·b)·(a·b) and a·(aᵀ·b) (non-zero third derivatives)', { matmul }, ({ matmul }) => {
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
    }),
  ],
};

