import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { matmul } from '../../src/autodiff/ops/linalg.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { matmul as matmulKernel } from '../../src/tensor/matmul.js';
import { clone, tensor } from '../../src/tensor/create.js';
import { values } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';
import { runGradTable } from '../support/grad-rows.js';
import { batchedArb, MATMUL_ROWS } from './rows/linalg.js';

runGradTable(MATMUL_ROWS);

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
