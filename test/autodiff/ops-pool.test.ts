import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { adaptiveAvgPool2d, maxPool2d, resizeBilinear } from '../../src/autodiff/ops/pool.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import * as KP from '../../src/tensor/pool.js';
import * as KR from '../../src/tensor/resize.js';
import { clone, tensor } from '../../src/tensor/create.js';
import { tensorArb, values } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';
import { runGradTable } from '../support/grad-rows.js';
import { ADAPTIVE_POOL_ROWS, AVGPOOL_ROWS, MAXPOOL_ROWS, poolCaseArb, RESIZE_ROWS, resizeCaseArb } from './rows/pool.js';

runGradTable(MAXPOOL_ROWS);

runGradTable(AVGPOOL_ROWS);

runGradTable(ADAPTIVE_POOL_ROWS);

runGradTable(RESIZE_ROWS);

describe('pooling: values and gradients against the kernels', () => {
  it('values and gradient: the first maximum of each window receives g (overlapping windows add up)', () => {
    const arb = poolCaseArb('max').chain((c) => fc.tuple(fc.constant(c), tensorArb(c.shape, 'distinct')));
    fc.assert(
      fc.property(arb, ([c, x0]) => {
        const x = requiresGrad(clone(x0));
        const y = maxPool2d(x, c.opts);
        const { values: v, indices } = KP.maxPool2d(x0, c.opts);
        expect(values(y)).toEqual(values(v));
        const g = tensor(values(y).map((_, i) => i + 1), { shape: y.shape });
        const [gx] = grad(y, x, { gradOutputs: g });
        const ref = new Array<number>(x0.size).fill(0);
        indices.data.forEach((j, i) => (ref[j] = ref[j]! + g.data[i]!));
        expect(values(gx!)).toEqual(ref);
      }),
      runs(50),
    );
  });

  it('gradients equal the kernels\' adjoints, and a 1x1 → HxW upsampling broadcasts the value', () => {
    fc.assert(
      fc.property(resizeCaseArb.chain(([s, oh, ow]) => fc.tuple(tensorArb(s), tensorArb([s[0]!, s[1]!, oh, ow]))), ([x0, g]) => {
        const x = requiresGrad(clone(x0));
        const [gx] = grad(resizeBilinear(x, [g.shape[2]!, g.shape[3]!]), x, { gradOutputs: g });
        expect(values(gx!)).toEqual(values(KR.resizeBilinearAdjoint(g, x0.shape)));
        const [gc] = grad(resizeBilinear(x, [g.shape[2]!, g.shape[3]!], true), x, { gradOutputs: g });
        expect(values(gc!)).toEqual(values(KR.resizeBilinearAdjoint(g, x0.shape, true)));
        const [ga] = grad(adaptiveAvgPool2d(x, [g.shape[2]!, g.shape[3]!]), x, { gradOutputs: g });
        expect(values(ga!)).toEqual(values(KP.adaptiveAvgPool2dAdjoint(g, x0.shape)));
      }),
      runs(20),
    );
    const one = requiresGrad(tensor([2.5], { shape: [1, 1, 1, 1] }));
    const up = resizeBilinear(one, [3, 4]);
    expect(values(up)).toEqual(new Array(12).fill(2.5));
    const [d] = grad(sum(up), one);
    expectClose(d!.data, [12]);
    expect(values(resizeBilinear(one, [3, 4], true))).toEqual(new Array(12).fill(2.5));
  });

  it('align_corners = true by hand: corners map to corners, the rest interpolates on (in − 1)/(out − 1) steps', () => {
    const x = tensor([0, 4, 8, 1, 2, 3], { shape: [1, 1, 2, 3] });
    // Rows: 2 → 3 puts row 1 halfway; columns: 3 → 5 steps by 0.5.
    expect(values(KR.resizeBilinear(x, [3, 5], true))).toEqual([
      0, 2, 4, 6, 8,
      0.5, 1.75, 3, 4.25, 5.5,
      1, 1.5, 2, 2.5, 3,
    ]);
    // Downscaling 3 → 2 columns keeps the two end columns; a single output row or column takes index 0.
    expect(values(KR.resizeBilinear(x, [2, 2], true))).toEqual([0, 8, 1, 3]);
    expect(values(KR.resizeBilinear(x, [1, 1], true))).toEqual([0]);
    // align_corners = false on the same input differs (half-pixel centres).
    expect(values(KR.resizeBilinear(x, [3, 5]))).not.toEqual(values(KR.resizeBilinear(x, [3, 5], true)));
  });
});
