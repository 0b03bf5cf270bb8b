/**
 * Exact identities of the linear-algebra / conv / pool ops and of their higher derivatives:
 * adjointness of each op and its VJP kernels, exactly-zero second derivatives of piecewise-linear
 * functions, and the Grad-CAM++ identity ∂ⁿ exp(S)/∂A_eⁿ = exp(S)·gₑⁿ on a piecewise-linear head
 * (and its failure on a smooth one).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { add } from '../../src/autodiff/ops/elementwise.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, type Conv2dOptions } from '../../src/autodiff/ops/conv.js';
import { matmul } from '../../src/autodiff/ops/linalg.js';
import {
  adaptiveAvgPool2d, adaptiveAvgPool2dAdjoint, avgPool2d, avgPool2dAdjoint, maxPool2d, resizeBilinear, resizeBilinearAdjoint,
  type Pool2dOptions,
} from '../../src/autodiff/ops/pool.js';
import { mean, sum } from '../../src/autodiff/ops/reduce.js';
import { exp, relu, square, tanh } from '../../src/autodiff/ops/unary.js';
import * as KC from '../../src/tensor/conv.js';
import * as KP from '../../src/tensor/pool.js';
import { clone, randn, tensor, zeros } from '../../src/tensor/create.js';
import { abs } from '../../src/tensor/index.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { numel, tensorArb, values, type Shape } from '../support/ad.js';
import { expectClose, runs } from '../support/check.js';

function dot(a: Tensor, b: Tensor): number {
  expect([...a.shape]).toEqual([...b.shape]);
  let s = 0;
  for (let i = 0; i < a.size; i++) s += a.data[i]! * b.data[i]!;
  return s;
}

/** |a − b| <= rel·scale, where scale bounds the sum of |products| both sides are made of. */
function expectSameSum(a: number, b: number, scale: number, rel = 1e-12): void {
  if (!(Math.abs(a - b) <= rel * scale)) expect.fail(`${a} vs ${b}: |difference| ${Math.abs(a - b)} > ${rel} · ${scale}`);
}

// ---------------------------------------------------------------------------------------------
// Adjointness.

/** The shape with batch 2. */
const twice = (s: readonly number[]): Shape => [2, ...s.slice(1)];

/** A batch-1 tensor repeated to batch 2. */
function repeat2(t: Tensor): Tensor {
  const data = new Float64Array(2 * t.size);
  data.set(t.data, 0);
  data.set(t.data, t.size);
  return new Tensor(data, twice(t.shape));
}

/** Small conv configurations (see ops-conv.test.ts): groups, stride, padding, dilation, whole-input kernels. */
const convCaseArb = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 3 }),
    cg: fc.integer({ min: 1, max: 2 }),
    og: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 2, max: 7 }),
    W: fc.integer({ min: 2, max: 7 }),
    k: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
    s: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
    p: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    d: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
  })
  .filter((c) => c.H !== c.W && c.groups * c.cg <= 4 && c.d[0] * (c.k[0] - 1) + 1 <= c.H + 2 * c.p[0] && c.d[1] * (c.k[1] - 1) + 1 <= c.W + 2 * c.p[1])
  .map((c) => {
    const opts: Conv2dOptions = { stride: c.s, padding: c.p, dilation: c.d, groups: c.groups };
    const xShape = [c.N, c.groups * c.cg, c.H, c.W];
    const wShape = [c.groups * c.og, c.cg, c.k[0], c.k[1]];
    return { xShape, wShape, opts, outShape: KC.conv2dOutputShape(xShape, wShape, opts) };
  });

describe('adjoint identities', () => {
  it('⟨g, conv2d(x,w)⟩ = ⟨conv2dInputGrad(g,w), x⟩ = ⟨conv2dWeightGrad(x,g), w⟩ to 1e-12', () => {
    const arb = convCaseArb.chain((c) => fc.tuple(fc.constant(c), tensorArb(c.xShape), tensorArb(c.wShape), tensorArb(c.outShape)));
    fc.assert(
      fc.property(arb, ([c, x, w, g]) => {
        const lhs = dot(g, conv2d(x, w, null, c.opts));
        const viaInput = dot(conv2dInputGrad(g, w, c.xShape, c.opts), x);
        const viaWeight = dot(conv2dWeightGrad(x, g, c.wShape, c.opts), w);
        const scale = dot(abs(g), KC.conv2d(abs(x), abs(w), c.opts));
        expectSameSum(lhs, viaInput, scale);
        expectSameSum(lhs, viaWeight, scale);
      }),
      runs(100),
    );
  });

  it('the same with a broadcast batch: x with batch 1 against g with batch 2, and the reverse', () => {
    const arb = convCaseArb
      .filter((c) => c.xShape[0] === 1)
      .chain((c) =>
        fc.tuple(fc.constant(c), tensorArb(c.wShape), tensorArb(c.xShape), tensorArb(twice(c.outShape)), tensorArb(twice(c.xShape)), tensorArb(c.outShape)),
      );
    fc.assert(
      fc.property(arb, ([c, w, x1, g2, x2, g1]) => {
        // x (batch 1) broadcast against g (batch 2): Σ_n ⟨g_n, conv(x, w)⟩.
        const lhs = dot(g2, repeat2(conv2d(x1, w, null, c.opts)));
        const scale = dot(abs(g2), repeat2(KC.conv2d(abs(x1), abs(w), c.opts)));
        expectSameSum(lhs, dot(conv2dWeightGrad(x1, g2, c.wShape, c.opts), w), scale);
        // The input gradient for an inputShape with batch 1 keeps g's batch; summed over it, it is
        // the adjoint of the broadcast.
        const dx = conv2dInputGrad(g2, w, c.xShape, c.opts);
        expect([...dx.shape]).toEqual(twice(c.xShape));
        expectSameSum(lhs, dot(sum(dx, 0, { keepdims: true }), x1), scale);
        // g (batch 1) against x (batch 2): Σ_n ⟨g, conv(x_n, w)⟩.
        const lhs2 = dot(repeat2(g1), conv2d(x2, w, null, c.opts));
        const scale2 = dot(repeat2(abs(g1)), KC.conv2d(abs(x2), abs(w), c.opts));
        expectSameSum(lhs2, dot(conv2dWeightGrad(x2, g1, c.wShape, c.opts), w), scale2);
      }),
      runs(50),
    );
  });

  /** Input shapes [N,C,H,W] with H ≠ W. */
  const shapeArb: fc.Arbitrary<Shape> = fc
    .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 }))
    .filter(([, , H, W]) => H !== W)
    .map((s) => [...s]);

  const poolArb = shapeArb
    .chain((s) =>
      fc.tuple(
        fc.constant(s),
        fc.record({
          k: fc.tuple(fc.integer({ min: 1, max: Math.min(4, s[2]!) }), fc.integer({ min: 1, max: Math.min(4, s[3]!) })),
          st: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 })),
          p: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
          ceilMode: fc.boolean(),
          countIncludePad: fc.boolean(),
        }),
      ),
    )
    .map(([s, r]) => {
      const opts: Pool2dOptions = {
        kernelSize: r.k, stride: r.st, padding: [Math.min(r.p[0], r.k[0] >> 1), Math.min(r.p[1], r.k[1] >> 1)],
        ceilMode: r.ceilMode, countIncludePad: r.countIncludePad,
      };
      return { s, opts };
    });

  it('avgPool2d and avgPool2dAdjoint (padding, countIncludePad, ceilMode) to 1e-12', () => {
    const arb = poolArb.chain(({ s, opts }) => fc.tuple(fc.constant(opts), tensorArb(s), tensorArb([...KP.avgPool2d(zeros(s), opts).shape])));
    fc.assert(
      fc.property(arb, ([opts, x, g]) => {
        const scale = dot(abs(g), KP.avgPool2d(abs(x), opts));
        expectSameSum(dot(g, avgPool2d(x, opts)), dot(avgPool2dAdjoint(g, x.shape, opts), x), scale);
      }),
      runs(100),
    );
  });

  it('adaptiveAvgPool2d and resizeBilinear (up and down) against their adjoints to 1e-12', () => {
    const arb = shapeArb.chain((s) =>
      fc.tuple(fc.integer({ min: 1, max: 2 * s[2]! + 1 }), fc.integer({ min: 1, max: 2 * s[3]! + 1 })).chain(([oh, ow]) =>
        fc.tuple(tensorArb(s), tensorArb([s[0]!, s[1]!, oh, ow])),
      ),
    );
    fc.assert(
      fc.property(arb, ([x, g]) => {
        const size: [number, number] = [g.shape[2]!, g.shape[3]!];
        const sa = dot(abs(g), adaptiveAvgPool2d(abs(x), size));
        expectSameSum(dot(g, adaptiveAvgPool2d(x, size)), dot(adaptiveAvgPool2dAdjoint(g, x.shape), x), sa);
        const sr = dot(abs(g), resizeBilinear(abs(x), size));
        expectSameSum(dot(g, resizeBilinear(x, size)), dot(resizeBilinearAdjoint(g, x.shape), x), sr);
      }),
      runs(100),
    );
  });

  it('maxPool2d: ⟨g, maxPool(x)⟩ = ⟨∂⟨g, maxPool(x)⟩/∂x, x⟩ exactly (a gather and its scatter)', () => {
    const arb = poolArb
      .filter(({ s, opts }) => {
        try {
          KP.maxPool2d(zeros(s), opts);
          return true;
        } catch {
          return false;
        }
      })
      .chain(({ s, opts }) => fc.tuple(fc.constant(opts), tensorArb(s, 'distinct'), tensorArb([...KP.maxPool2d(zeros(s), opts).values.shape])));
    fc.assert(
      fc.property(arb, ([opts, x0, g]) => {
        const x = requiresGrad(clone(x0));
        const y = maxPool2d(x, opts);
        const [gx] = grad(y, x, { gradOutputs: g });
        expectSameSum(dot(g, y), dot(gx!, x0), dot(abs(g), abs(y)));
      }),
      runs(60),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Exactly-zero second derivatives of piecewise-linear functions.

const isZero = (t: Tensor): boolean => values(t).every((v) => v === 0);

describe('second derivatives of piecewise-linear functions are exactly zero', () => {
  it('relu: the Hessian-vector product of ⟨v, relu(x)⟩ is exactly 0 (v requires grad, so there is a graph)', () => {
    const arb = fc.integer({ min: 1, max: 20 }).chain((n) => fc.tuple(tensorArb([n], 'awayFromZero'), tensorArb([n]), tensorArb([n])));
    fc.assert(
      fc.property(arb, ([x0, v0, u]) => {
        const x = requiresGrad(clone(x0));
        const v = requiresGrad(clone(v0));
        const [g1] = grad(relu(x), x, { gradOutputs: v, createGraph: true });
        expect(g1!.requiresGrad).toBe(true);
        expectClose(g1!.data, values(x0).map((xi, i) => (xi > 0 ? v0.data[i]! : 0)), 0, 0);
        const [hx, hv] = grad(g1!, [x, v], { gradOutputs: u, onUnused: 'zeros' });
        expect(isZero(hx!)).toBe(true);
        // The mixed derivative ∂²/∂v∂x = diag(x > 0) is alive and exact.
        expectClose(hv!.data, values(x0).map((xi, i) => (xi > 0 ? u.data[i]! : 0)), 0, 0);
      }),
      runs(40),
    );
  });

  it('maxPool2d: the Hessian-vector product of ⟨v, maxPool(x)⟩ is exactly 0', () => {
    const opts: Pool2dOptions[] = [{ kernelSize: 2 }, { kernelSize: [2, 3], stride: 1, padding: 1 }, { kernelSize: 3, stride: 2, ceilMode: true }];
    const arb = fc
      .tuple(fc.constantFrom(...opts), fc.integer({ min: 3, max: 6 }), fc.integer({ min: 3, max: 6 }))
      .chain(([o, H, W]) => {
        const out = [...KP.maxPool2d(zeros([1, 2, H, W]), o).values.shape];
        return fc.tuple(fc.constant(o), tensorArb([1, 2, H, W], 'distinct'), tensorArb(out), tensorArb([1, 2, H, W]));
      });
    fc.assert(
      fc.property(arb, ([o, x0, v0, u]) => {
        const x = requiresGrad(clone(x0));
        const v = requiresGrad(clone(v0));
        const [g1] = grad(maxPool2d(x, o), x, { gradOutputs: v, createGraph: true });
        const [hx] = grad(g1!, x, { gradOutputs: u, onUnused: 'zeros' });
        expect(isZero(hx!)).toBe(true);
      }),
      runs(30),
    );
  });

  it('a conv-relu-maxpool-conv-relu-mean network: ∂²f/∂x² · u = 0 exactly, while ∂²f/∂w∂x is not 0', () => {
    const arb = fc.tuple(tensorArb([1, 2, 6, 5]), tensorArb([3, 2, 3, 3]), tensorArb([2, 3, 2, 2]), tensorArb([1, 2, 6, 5]));
    fc.assert(
      fc.property(arb, ([x0, w10, w20, u]) => {
        const x = requiresGrad(clone(x0));
        const w1 = requiresGrad(clone(w10));
        const w2 = requiresGrad(clone(w20));
        const f = mean(relu(conv2d(maxPool2d(relu(conv2d(x, w1, null, { padding: 1 })), { kernelSize: 2, stride: 1 }), w2)));
        const [gx] = grad(f, x, { createGraph: true });
        const [hx, hw] = grad(gx!, [x, w1], { gradOutputs: u, onUnused: 'zeros' });
        expect(isZero(hx!)).toBe(true);
        // Unless every unit is dead, the mixed block is alive.
        if (!isZero(gx!)) expect(isZero(hw!)).toBe(false);
      }),
      runs(20),
    );
  });

  it('sum(maxPool(x)²) has the exact Hessian diag(2·wins): HVP = 2·wins·u, third derivative exactly 0', () => {
    const x0 = randn([1, 1, 5, 6], { rng: 4 });
    const o: Pool2dOptions = { kernelSize: 3, stride: 1 };
    const wins = new Array<number>(x0.size).fill(0);
    for (const j of KP.maxPool2d(x0, o).indices.data) wins[j]!++;
    const x = requiresGrad(clone(x0));
    const u = requiresGrad(randn([1, 1, 5, 6], { rng: 5 }));
    const [g1] = grad(sum(square(maxPool2d(x, o))), x, { createGraph: true });
    const [h] = grad(g1!, x, { gradOutputs: u, createGraph: true });
    expectClose(h!.data, values(u).map((ui, i) => 2 * wins[i]! * ui), 0, 1e-15);
    const [t] = grad(h!, x, { gradOutputs: u, onUnused: 'zeros' });
    expect(isZero(t!)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Diagonal higher derivatives on a CNN head (Grad-CAM++).

const A_SHAPE = [1, 3, 6, 7];
const CLASSES = 5;
const CLASS = 2;

interface Head {
  w1: Tensor; b1: Tensor; w2: Tensor; b2: Tensor; fc: Tensor; fb: Tensor; onehot: Tensor;
}

function makeHead(seed: number): Head {
  const onehot = zeros([CLASSES]);
  onehot.data[CLASS] = 1;
  return {
    w1: randn([4, 3, 3, 3], { rng: seed, std: 0.4 }),
    b1: randn([4], { rng: seed + 1, std: 0.2 }),
    w2: randn([4, 4, 3, 3], { rng: seed + 2, std: 0.3 }),
    b2: randn([4], { rng: seed + 3, std: 0.2 }),
    fc: randn([CLASSES, 4], { rng: seed + 4 }),
    fb: randn([CLASSES], { rng: seed + 5, std: 0.1 }),
    onehot,
  };
}

/**
 * S(A) per batch element: conv-relu-maxpool-conv-relu-GAP-linear, class CLASS; with `smooth`,
 * a tanh after the first conv. Every op acts per batch element, so a batch of copies of A gives
 * independent copies of S.
 */
function score(h: Head, a: Tensor, smooth: boolean): Tensor {
  let z = conv2d(a, h.w1, h.b1, { padding: 1 });
  if (smooth) z = tanh(z);
  z = maxPool2d(relu(z), { kernelSize: 2 });
  z = relu(conv2d(z, h.w2, h.b2, { padding: 1 }));
  const logits = add(matmul(mean(z, [2, 3]), h.fc, { transB: true }), h.fb);
  return matmul(logits, h.onehot);
}

const Y = (h: Head, a: Tensor, smooth: boolean): Tensor => sum(exp(score(h, a, smooth)));

/** B = numel(A) copies of A (copy b shifted by delta at element b), as one leaf [B, ...A]. */
function copies(a: Tensor, delta = 0): Tensor {
  const n = a.size;
  const data = new Float64Array(n * n);
  for (let b = 0; b < n; b++) {
    data.set(a.data, b * n);
    data[b * n + b]! += delta;
  }
  return requiresGrad(new Tensor(data, [n, ...a.shape.slice(1)]));
}

/** E: one-hot per copy, element b of copy b. */
function diagSelector(n: number, shape: readonly number[]): Tensor {
  const e = zeros(shape);
  for (let b = 0; b < n; b++) e.data[b * n + b] = 1;
  return e;
}

/** Entry b of copy b, for every b. */
function pickDiagonal(t: Tensor, n: number): number[] {
  return Array.from({ length: n }, (_, b) => t.data[b * n + b]!);
}

/**
 * ∂Y/∂A_e, ∂²Y/∂A_e², ∂³Y/∂A_e³ for every element e (each at A shifted by delta along e), by
 * the batched-copies trick: differentiate Σ_b Y(A_b) and pick element b of copy b.
 */
function diagonals(h: Head, a: Tensor, smooth: boolean, delta = 0): { d1: number[]; d2: number[]; d3: number[] } {
  const n = a.size;
  const ab = copies(a, delta);
  const e = diagSelector(n, ab.shape);
  const [g1] = grad(Y(h, ab, smooth), ab, { createGraph: true });
  const [g2] = grad(g1!, ab, { gradOutputs: e, createGraph: true });
  const [g3] = grad(g2!, ab, { gradOutputs: e });
  return { d1: pickDiagonal(g1!, n), d2: pickDiagonal(g2!, n), d3: pickDiagonal(g3!, n) };
}

/** S(A) and g = ∂S/∂A at a single copy. */
function scoreAndGrad(h: Head, a0: Tensor, smooth: boolean): { S: number; g: number[] } {
  const a = requiresGrad(clone(a0));
  const s = score(h, a, smooth);
  const [g] = grad(s, a, { gradOutputs: tensor([1]) });
  return { S: s.data[0]!, g: values(g!) };
}

describe('Grad-CAM++ diagonals: ∂ⁿ exp(S)/∂A_eⁿ on a CNN head', () => {
  const head = makeHead(7);
  const a0 = randn(A_SHAPE, { rng: 99 });
  const n = numel(A_SHAPE);

  it('piecewise-linear head: ∂²Y/∂A_e² = exp(S)·g_e² and ∂³Y/∂A_e³ = exp(S)·g_e³ for every element (1e-10)', () => {
    const { S, g } = scoreAndGrad(head, a0, false);
    const eS = Math.exp(S);
    // Not a degenerate head: a good share of the elements have a non-zero gradient.
    expect(g.filter((v) => v !== 0).length).toBeGreaterThan(n / 3);
    const { d1, d2, d3 } = diagonals(head, a0, false);
    expectClose(d1, g.map((v) => eS * v), 0, 1e-12);
    expectClose(d2, g.map((v) => eS * v * v), 0, 1e-10);
    expectClose(d3, g.map((v) => eS * v ** 3), 0, 1e-10);
  });

  it('the batched-copies diagonals equal honest per-element derivatives (differentiate, read entry e)', () => {
    const { d2, d3 } = diagonals(head, a0, false);
    const smooth = diagonals(head, a0, true);
    for (const e of [0, 17, 41, 63, n - 1]) {
      for (const [isSmooth, ref2, ref3] of [[false, d2, d3], [true, smooth.d2, smooth.d3]] as const) {
        const a = requiresGrad(clone(a0));
        const onehot = zeros(A_SHAPE);
        onehot.data[e] = 1;
        const [g1] = grad(Y(head, a, isSmooth), a, { createGraph: true });
        const [row2] = grad(g1!, a, { gradOutputs: onehot, createGraph: true });
        const [row3] = grad(row2!, a, { gradOutputs: onehot });
        expectClose([row2!.data[e]!, row3!.data[e]!], [ref2[e]!, ref3[e]!], 0, 1e-12);
      }
    }
  });

  it('smooth head (tanh after the first conv): the closed form is wrong, central differences agree', () => {
    const { S, g } = scoreAndGrad(head, a0, true);
    const eS = Math.exp(S);
    const { d1, d2, d3 } = diagonals(head, a0, true);
    expectClose(d1, g.map((v) => eS * v), 0, 1e-12);
    const closed2 = g.map((v) => eS * v * v);
    const closed3 = g.map((v) => eS * v ** 3);
    const relDiff = (a: number[], b: number[]): number[] => a.map((v, i) => Math.abs(v - b[i]!) / Math.max(Math.abs(b[i]!), 1e-300));
    const r2 = relDiff(d2, closed2);
    const r3 = relDiff(d3, closed3);
    // Clearly different (not rounding): most elements off by more than 10%, some by far more
    // (the curvature of tanh, ∂²S/∂A_e², dominates where g_e is small).
    expect(r2.filter((r) => r > 0.1).length).toBeGreaterThan(n / 2);
    expect(r3.filter((r) => r > 0.1).length).toBeGreaterThan(n / 2);
    expect(Math.max(...r2)).toBeGreaterThan(10);
    expect(Math.max(...r3)).toBeGreaterThan(10);
    // Central differences of the exact first derivative (for the second) and of the exact second
    // derivative (for the third), along each element: never a difference of differences.
    const eps = 1e-5;
    const plus = diagonals(head, a0, true, eps);
    const minus = diagonals(head, a0, true, -eps);
    const fd2 = plus.d1.map((v, i) => (v - minus.d1[i]!) / (2 * eps));
    const fd3 = plus.d2.map((v, i) => (v - minus.d2[i]!) / (2 * eps));
    const max2 = Math.max(...d2.map(Math.abs));
    const max3 = Math.max(...d3.map(Math.abs));
    expectClose(d2, fd2, 1e-7 * max2, 1e-6);
    expectClose(d3, fd3, 1e-7 * max3, 1e-6);
    // The same differences on the piecewise-linear head confirm the closed form there too.
    const pl = scoreAndGrad(head, a0, false);
    const pPlus = diagonals(head, a0, false, eps);
    const pMinus = diagonals(head, a0, false, -eps);
    const ePL = Math.exp(pl.S);
    expectClose(pPlus.d1.map((v, i) => (v - pMinus.d1[i]!) / (2 * eps)), pl.g.map((v) => ePL * v * v), 1e-7 * ePL * Math.max(...pl.g.map((v) => v * v)), 1e-6);
  });
});
