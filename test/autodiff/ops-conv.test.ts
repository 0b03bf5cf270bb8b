import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad } from '../../src/autodiff/ops/conv.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { clone, ones } from '../../src/tensor/create.js';
import { tensorArb, values } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';
import { runGradTable } from '../support/grad-rows.js';
import { CONV2D_INPUT_GRAD_ROWS, CONV2D_ROWS, CONV2D_WEIGHT_GRAD_ROWS, convCaseArb } from './rows/conv.js';

runGradTable(CONV2D_ROWS);

runGradTable(CONV2D_INPUT_GRAD_ROWS);

runGradTable(CONV2D_WEIGHT_GRAD_ROWS);

describe('conv2d: the three kernels are each other\'s VJPs', () => {
  it('grad of conv2d w.r.t. x and w equals conv2dInputGrad and conv2dWeightGrad exactly', () => {
    const arb = convCaseArb().chain((c) => fc.tuple(fc.constant(c), tensorArb(c.xShape), tensorArb(c.wShape), tensorArb(c.outShape)));
    fc.assert(
      fc.property(arb, ([c, x0, w0, g]) => {
        const x = requiresGrad(clone(x0));
        const w = requiresGrad(clone(w0));
        const [gx, gw] = grad(conv2d(x, w, null, c.opts), [x, w], { gradOutputs: g });
        expect(values(gx!)).toEqual(values(conv2dInputGrad(g, w0, c.xShape, c.opts)));
        expect(values(gw!)).toEqual(values(conv2dWeightGrad(x0, g, c.wShape, c.opts)));
        // The bias gradient is the sum of g over batch and space.
        const b = requiresGrad(ones([c.wShape[0]!]));
        const [gb] = grad(conv2d(x0, w0, b, c.opts), b, { gradOutputs: g });
        const ref = values(sum(g, [0, 2, 3]));
        expectClose(gb!.data, ref, 1e-14, 1e-14);
      }),
      runs(50),
    );
  });
});

