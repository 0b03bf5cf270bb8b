import fc from 'fast-check';
import { mul } from '../../../src/autodiff/ops/elementwise.js';
import { adaptiveAvgPool2d, adaptiveAvgPool2dAdjoint, avgPool2d, avgPool2dAdjoint, maxPool2d, resizeBilinear, resizeBilinearAdjoint, type Pool2dOptions } from '../../../src/autodiff/ops/pool.js';
import { tanh } from '../../../src/autodiff/ops/unary.js';
import * as KP from '../../../src/tensor/pool.js';
import { zeros } from '../../../src/tensor/create.js';
import type { Tensor } from '../../../src/tensor/tensor.js';
import { checkAllOrders, tensorArb, type Shape } from '../../support/ad.js';
import { runs } from '../../support/check.js';
import { row, type GradTable } from '../../support/grad-rows.js';

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
export function poolCaseArb(kind: 'max' | 'avg'): fc.Arbitrary<{ shape: Shape; opts: Pool2dOptions }> {
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

/** Gradcheck rows run by test/autodiff/ops-pool.test.ts. */
export const MAXPOOL_ROWS: GradTable = {
  title: 'maxPool2d: gradcheck, gradgradcheck, thirdOrderGradcheck (distinct values, no ties)',
  rows: [
    row('random options (random projections)', { maxPool2d }, ({ maxPool2d }) => {
      const arb = poolCaseArb('max').chain((c) => fc.tuple(fc.constant(c), tensorArb(c.shape, 'distinct')));
      fc.assert(
        fc.property(arb, ([c, x]) => {
          checkAllOrders((t) => maxPool2d(t, c.opts), [x], { mode: 'random' });
        }),
        runs(60),
      );
    }),

    row('tiny inputs with full Jacobians, and a smooth composition maxPool(x)·tanh(maxPool(x))', { maxPool2d }, ({ maxPool2d }) => {
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
    }),
  ],
};

/** Gradcheck rows run by test/autodiff/ops-pool.test.ts. */
export const AVGPOOL_ROWS: GradTable = {
  title: 'avgPool2d and avgPool2dAdjoint: gradcheck, gradgradcheck, thirdOrderGradcheck',
  rows: [
    row('avgPool2d with padding, countIncludePad and ceilMode (random projections)', { avgPool2d }, ({ avgPool2d }) => {
      const arb = poolCaseArb('avg').chain((c) => fc.tuple(fc.constant(c), tensorArb(c.shape)));
      fc.assert(
        fc.property(arb, ([c, x]) => {
          checkAllOrders((t) => avgPool2d(t, c.opts), [x], { mode: 'random' });
        }),
        runs(60),
      );
    }),

    row('avgPool2dAdjoint (random projections)', { avgPool2dAdjoint }, ({ avgPool2dAdjoint }) => {
      const arb = poolCaseArb('avg').chain((c) =>
        fc.tuple(fc.constant(c), tensorArb(outShapeOf((t) => KP.avgPool2d(t, c.opts), c.shape))),
      );
      fc.assert(
        fc.property(arb, ([c, g]) => {
          checkAllOrders((t) => avgPool2dAdjoint(t, c.shape, c.opts), [g], { mode: 'random' });
        }),
        runs(60),
      );
    }),

    row('tiny inputs with full Jacobians (both directions) and a smooth composition', { avgPool2d, avgPool2dAdjoint }, ({ avgPool2d, avgPool2dAdjoint }) => {
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
    }),
  ],
};

const adaptiveCaseArb = imageShapeArb.chain((s) =>
  fc.tuple(fc.constant(s), fc.integer({ min: 1, max: s[2]! + 1 }), fc.integer({ min: 1, max: s[3]! + 1 })),
);

/** Gradcheck rows run by test/autodiff/ops-pool.test.ts. */
export const ADAPTIVE_POOL_ROWS: GradTable = {
  title: 'adaptiveAvgPool2d and its adjoint: gradcheck, gradgradcheck, thirdOrderGradcheck',
  rows: [
    row('adaptiveAvgPool2d to sizes smaller and larger than the input (random projections)', { adaptiveAvgPool2d }, ({ adaptiveAvgPool2d }) => {
      fc.assert(
        fc.property(adaptiveCaseArb.chain(([s, oh, ow]) => fc.tuple(tensorArb(s), fc.constant<[number, number]>([oh, ow]))), ([x, size]) => {
          checkAllOrders((t) => adaptiveAvgPool2d(t, size), [x], { mode: 'random' });
        }),
        runs(60),
      );
    }),

    row('adaptiveAvgPool2dAdjoint (random projections)', { adaptiveAvgPool2dAdjoint }, ({ adaptiveAvgPool2dAdjoint }) => {
      fc.assert(
        fc.property(adaptiveCaseArb.chain(([s, oh, ow]) => fc.tuple(fc.constant(s), tensorArb([s[0]!, s[1]!, oh, ow]))), ([s, g]) => {
          checkAllOrders((t) => adaptiveAvgPool2dAdjoint(t, s), [g], { mode: 'random' });
        }),
        runs(60),
      );
    }),

    row('tiny inputs with full Jacobians', { adaptiveAvgPool2d, adaptiveAvgPool2dAdjoint }, ({ adaptiveAvgPool2d, adaptiveAvgPool2dAdjoint }) => {
      const tiny = fc.constantFrom<[Shape, [number, number]]>([[1, 1, 2, 3], [1, 2]], [[1, 1, 3, 2], [2, 3]], [[1, 2, 2, 3], [1, 1]]);
      fc.assert(
        fc.property(tiny.chain(([s, o]) => fc.tuple(fc.constant(s), fc.constant(o), tensorArb(s), tensorArb([s[0]!, s[1]!, ...o]))), ([s, o, x, g]) => {
          checkAllOrders((t) => adaptiveAvgPool2d(t, o), [x], { mode: 'full' });
          checkAllOrders((t) => adaptiveAvgPool2dAdjoint(t, s), [g], { mode: 'full' });
        }),
        runs(6),
      );
    }),
  ],
};

export const resizeCaseArb = imageShapeArb.chain((s) =>
  fc.tuple(fc.constant(s), fc.integer({ min: 1, max: 2 * s[2]! }), fc.integer({ min: 1, max: 2 * s[3]! })),
);

/** Gradcheck rows run by test/autodiff/ops-pool.test.ts. */
export const RESIZE_ROWS: GradTable = {
  title: 'resizeBilinear and its adjoint: gradcheck, gradgradcheck, thirdOrderGradcheck',
  rows: [
    row('resizeBilinear up and down (random projections)', { resizeBilinear }, ({ resizeBilinear }) => {
      fc.assert(
        fc.property(resizeCaseArb.chain(([s, oh, ow]) => fc.tuple(tensorArb(s), fc.constant<[number, number]>([oh, ow]))), ([x, size]) => {
          checkAllOrders((t) => resizeBilinear(t, size), [x], { mode: 'random' });
        }),
        runs(60),
      );
    }),

    row('resizeBilinearAdjoint (random projections)', { resizeBilinearAdjoint }, ({ resizeBilinearAdjoint }) => {
      fc.assert(
        fc.property(resizeCaseArb.chain(([s, oh, ow]) => fc.tuple(fc.constant(s), tensorArb([s[0]!, s[1]!, oh, ow]))), ([s, g]) => {
          checkAllOrders((t) => resizeBilinearAdjoint(t, s), [g], { mode: 'random' });
        }),
        runs(60),
      );
    }),

    row('tiny inputs with full Jacobians (up and down) and a smooth composition', { resizeBilinear, resizeBilinearAdjoint }, ({ resizeBilinear, resizeBilinearAdjoint }) => {
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
    }),

    row('align_corners = true: both directions (random projections), tiny inputs with full Jacobians', { resizeBilinear, resizeBilinearAdjoint }, ({ resizeBilinear, resizeBilinearAdjoint }) => {
      fc.assert(
        fc.property(resizeCaseArb.chain(([s, oh, ow]) => fc.tuple(fc.constant(s), tensorArb(s), tensorArb([s[0]!, s[1]!, oh, ow]))), ([s, x, g]) => {
          checkAllOrders((t) => resizeBilinear(t, [g.shape[2]!, g.shape[3]!], true), [x], { mode: 'random' });
          checkAllOrders((t) => resizeBilinearAdjoint(t, s, true), [g], { mode: 'random' });
        }),
        runs(40),
      );
      const tiny = fc.constantFrom<[Shape, [number, number]]>([[1, 1, 2, 3], [3, 5]], [[1, 1, 3, 4], [2, 1]], [[1, 1, 2, 2], [4, 3]]);
      fc.assert(
        fc.property(tiny.chain(([s, o]) => fc.tuple(fc.constant(s), fc.constant(o), tensorArb(s), tensorArb([s[0]!, s[1]!, ...o]))), ([s, o, x, g]) => {
          checkAllOrders((t) => resizeBilinear(t, o, true), [x], { mode: 'full' });
          checkAllOrders((t) => resizeBilinearAdjoint(t, s, true), [g], { mode: 'full' });
          checkAllOrders((t) => {
            const y = resizeBilinear(t, o, true);
            return mul(y, tanh(y));
          }, [x], { mode: 'full' });
        }),
        runs(6),
      );
    }),
  ],
};

