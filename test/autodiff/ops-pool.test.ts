import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { mul } from '../../src/autodiff/ops/elementwise.js';
import {
  adaptiveAvgPool2d, adaptiveAvgPool2dAdjoint, avgPool2d, avgPool2dAdjoint, maxPool2d, resizeBilinear, resizeBilinearAdjoint,
  type Pool2dOptions,
} from '../../src/autodiff/ops/pool.js';
import { sum } from '../../src/autodiff/ops/reduce.js';
import { tanh } from '../../src/autodiff/ops/unary.js';
import * as KP from '../../src/tensor/pool.js';
import * as KR from '../../src/tensor/resize.js';
import { clone, tensor, zeros } from '../../src/tensor/create.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { checkAllOrders, tensorArb, values, type Shape } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';

/** Input shapes [N,C,H,W]: batch 1-2, channels 1-3, spatial 2-6 with H ≠ W. */
const imageShapeArb: fc.Arbitrary<Shape> = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 2, max: 6 }))
  .filter(([, , H, W]) => H !== W)
  .map((s) => [...s]);

/** Whether the pooling kernel accepts the options (PyTorch's rules: padding <= k/2, windows start inside). */
function valid(run: () => unknown): boolean {
  try {
    run();
    return true;
  } catch {
    return false;
  }
}

/**
 * Pool options for an input shape: kernels from 1x1 to the whole input, stride 1-3 (or the
 * default = kernel), padding up to half the kernel, ceil mode; dilation 1-2 for max pooling,
 * countIncludePad for average pooling.
 */
function poolCaseArb(kind: 'max' | 'avg'): fc.Arbitrary<{ shape: Shape; opts: Pool2dOptions }> {
  return imageShapeArb
    .chain((shape) => {
      const [, , H, W] = shape as [number, number, number, number];
      const general = fc.record({
        kh: fc.integer({ min: 1, max: Math.min(3, H) }),
        kw: fc.integer({ min: 1, max: Math.min(3, W) }),
        stride: fc.option(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })), { nil: undefined }),
        pad: fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 1 })),
        dil: kind === 'max' ? fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })) : fc.constant<[number, number]>([1, 1]),
        ceilMode: fc.boolean(),
        countIncludePad: fc.boolean(),
      }).map((r) => {
        const opts: Pool2dOptions = {
          kernelSize: [r.kh, r.kw],
          padding: [Math.min(r.pad[0], r.kh >> 1), Math.min(r.pad[1], r.kw >> 1)],
          ceilMode: r.ceilMode,
        };
        if (r.stride !== undefined) opts.stride = r.stride;
        if (kind === 'max') opts.dilation = r.dil;
        else opts.countIncludePad = r.countIncludePad;
        return opts;
      });
      const whole = fc.constant<Pool2dOptions>({ kernelSize: [H, W] });
      return fc.tuple(fc.constant(shape), fc.oneof({ arbitrary: general, weight: 5 }, { arbitrary: whole, weight: 1 }));
    })
    .filter(([shape, opts]) => valid(() => (kind === 'max' ? KP.maxPool2d(zeros(shape), opts) : KP.avgPool2d(zeros(shape), opts))))
    .map(([shape, opts]) => ({ shape, opts }));
}

const outShapeOf = (f: (x: Tensor) => Tensor, shape: Shape): Shape => [...f(zeros(shape)).shape];

describe('maxPool2d: gradcheck, gradgradcheck, thirdOrderGradcheck (distinct values, no ties)', () => {
  it('random options (random projections)', () => {
    const arb = poolCaseArb('max').chain((c) => fc.tuple(fc.constant(c), tensorArb(c.shape, 'distinct')));
    fc.assert(
      fc.property(arb, ([c, x]) => {
        checkAllOrders((t) => maxPool2d(t, c.opts), [x], { mode: 'random' });
      }),
      runs(60),
    );
  });

  it('tiny inputs with full Jacobians, and a smooth composition maxPool(x)·tanh(maxPool(x))', () => {
    const arb = fc
      .constantFrom<[Shape, Pool2dOptions]>(
        [[1, 1, 2, 3], { kernelSize: 2, stride: 1 }],
        [[1, 2, 3, 2], { kernelSize: [3, 2] }],
        [[1, 1, 3, 4], { kernelSize: 2, stride: [1, 2], padding: 1 }],
        [[1, 1, 3, 4], { kernelSize: 2, dilation: [1, 2], ceilMode: true, stride: 2 }],
        [[2, 1, 2, 3], { kernelSize: 1 }],
      )
      .chain(([s, o]) => fc.tuple(tensorArb(s, 'distinct'), fc.constant(o)));
    fc.assert(
      fc.property(arb, ([x, o]) => {
        checkAllOrders((t) => maxPool2d(t, o), [x], { mode: 'full' });
        checkAllOrders((t) => {
          const y = maxPool2d(t, o);
          return mul(y, tanh(y));
        }, [x], { mode: 'full' });
      }),
      runs(10),
    );
  });

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
});

describe('avgPool2d and avgPool2dAdjoint: gradcheck, gradgradcheck, thirdOrderGradcheck', () => {
  it('avgPool2d with padding, countIncludePad and ceilMode (random projections)', () => {
    const arb = poolCaseArb('avg').chain((c) => fc.tuple(fc.constant(c), tensorArb(c.shape)));
    fc.assert(
      fc.property(arb, ([c, x]) => {
        checkAllOrders((t) => avgPool2d(t, c.opts), [x], { mode: 'random' });
      }),
      runs(60),
    );
  });

  it('avgPool2dAdjoint (random projections)', () => {
    const arb = poolCaseArb('avg').chain((c) =>
      fc.tuple(fc.constant(c), tensorArb(outShapeOf((t) => KP.avgPool2d(t, c.opts), c.shape))),
    );
    fc.assert(
      fc.property(arb, ([c, g]) => {
        checkAllOrders((t) => avgPool2dAdjoint(t, c.shape, c.opts), [g], { mode: 'random' });
      }),
      runs(60),
    );
  });

  it('tiny inputs with full Jacobians (both directions) and a smooth composition', () => {
    const arb = fc
      .constantFrom<[Shape, Pool2dOptions]>(
        [[1, 1, 2, 3], { kernelSize: 2, stride: 1 }],
        [[1, 1, 3, 4], { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }],
        [[1, 1, 3, 4], { kernelSize: 2, padding: 1, ceilMode: true }],
        [[1, 2, 2, 3], { kernelSize: [2, 3] }],
      )
      .chain(([s, o]) => fc.tuple(fc.constant(s), tensorArb(s), tensorArb(outShapeOf((t) => KP.avgPool2d(t, o), s)), fc.constant(o)));
    fc.assert(
      fc.property(arb, ([s, x, g, o]) => {
        checkAllOrders((t) => avgPool2d(t, o), [x], { mode: 'full' });
        checkAllOrders((t) => avgPool2dAdjoint(t, s, o), [g], { mode: 'full' });
        checkAllOrders((t) => {
          const y = avgPool2d(t, o);
          return mul(y, tanh(y));
        }, [x], { mode: 'full' });
      }),
      runs(8),
    );
  });
});

describe('adaptiveAvgPool2d and its adjoint: gradcheck, gradgradcheck, thirdOrderGradcheck', () => {
  const arb = imageShapeArb.chain((s) =>
    fc.tuple(fc.constant(s), fc.integer({ min: 1, max: s[2]! + 1 }), fc.integer({ min: 1, max: s[3]! + 1 })),
  );

  it('adaptiveAvgPool2d to sizes smaller and larger than the input (random projections)', () => {
    fc.assert(
      fc.property(arb.chain(([s, oh, ow]) => fc.tuple(tensorArb(s), fc.constant<[number, number]>([oh, ow]))), ([x, size]) => {
        checkAllOrders((t) => adaptiveAvgPool2d(t, size), [x], { mode: 'random' });
      }),
      runs(60),
    );
  });

  it('adaptiveAvgPool2dAdjoint (random projections)', () => {
    fc.assert(
      fc.property(arb.chain(([s, oh, ow]) => fc.tuple(fc.constant(s), tensorArb([s[0]!, s[1]!, oh, ow]))), ([s, g]) => {
        checkAllOrders((t) => adaptiveAvgPool2dAdjoint(t, s), [g], { mode: 'random' });
      }),
      runs(60),
    );
  });

  it('tiny inputs with full Jacobians', () => {
    const tiny = fc.constantFrom<[Shape, [number, number]]>([[1, 1, 2, 3], [1, 2]], [[1, 1, 3, 2], [2, 3]], [[1, 2, 2, 3], [1, 1]]);
    fc.assert(
      fc.property(tiny.chain(([s, o]) => fc.tuple(fc.constant(s), fc.constant(o), tensorArb(s), tensorArb([s[0]!, s[1]!, ...o]))), ([s, o, x, g]) => {
        checkAllOrders((t) => adaptiveAvgPool2d(t, o), [x], { mode: 'full' });
        checkAllOrders((t) => adaptiveAvgPool2dAdjoint(t, s), [g], { mode: 'full' });
      }),
      runs(6),
    );
  });
});

describe('resizeBilinear and its adjoint: gradcheck, gradgradcheck, thirdOrderGradcheck', () => {
  const arb = imageShapeArb.chain((s) =>
    fc.tuple(fc.constant(s), fc.integer({ min: 1, max: 2 * s[2]! }), fc.integer({ min: 1, max: 2 * s[3]! })),
  );

  it('resizeBilinear up and down (random projections)', () => {
    fc.assert(
      fc.property(arb.chain(([s, oh, ow]) => fc.tuple(tensorArb(s), fc.constant<[number, number]>([oh, ow]))), ([x, size]) => {
        checkAllOrders((t) => resizeBilinear(t, size), [x], { mode: 'random' });
      }),
      runs(60),
    );
  });

  it('resizeBilinearAdjoint (random projections)', () => {
    fc.assert(
      fc.property(arb.chain(([s, oh, ow]) => fc.tuple(fc.constant(s), tensorArb([s[0]!, s[1]!, oh, ow]))), ([s, g]) => {
        checkAllOrders((t) => resizeBilinearAdjoint(t, s), [g], { mode: 'random' });
      }),
      runs(60),
    );
  });

  it('tiny inputs with full Jacobians (up and down) and a smooth composition', () => {
    const tiny = fc.constantFrom<[Shape, [number, number]]>([[1, 1, 2, 3], [3, 5]], [[1, 1, 3, 4], [2, 1]], [[1, 2, 2, 3], [2, 3]], [[1, 1, 2, 2], [4, 3]]);
    fc.assert(
      fc.property(tiny.chain(([s, o]) => fc.tuple(fc.constant(s), fc.constant(o), tensorArb(s), tensorArb([s[0]!, s[1]!, ...o]))), ([s, o, x, g]) => {
        checkAllOrders((t) => resizeBilinear(t, o), [x], { mode: 'full' });
        checkAllOrders((t) => resizeBilinearAdjoint(t, s), [g], { mode: 'full' });
        checkAllOrders((t) => {
          const y = resizeBilinear(t, o);
          return mul(y, tanh(y));
        }, [x], { mode: 'full' });
      }),
      runs(6),
    );
  });

  it('gradients equal the kernels\' adjoints, and a 1x1 → HxW upsampling broadcasts the value', () => {
    fc.assert(
      fc.property(arb.chain(([s, oh, ow]) => fc.tuple(tensorArb(s), tensorArb([s[0]!, s[1]!, oh, ow]))), ([x0, g]) => {
        const x = requiresGrad(clone(x0));
        const [gx] = grad(resizeBilinear(x, [g.shape[2]!, g.shape[3]!]), x, { gradOutputs: g });
        expect(values(gx!)).toEqual(values(KR.resizeBilinearAdjoint(g, x0.shape)));
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
  });
});
