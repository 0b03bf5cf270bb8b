import fc from 'fast-check';
import { expect } from 'vitest';
import { mul } from '../../../src/autodiff/ops/elementwise.js';
import { gather, scatterAdd } from '../../../src/autodiff/ops/indexing.js';
import { concat, flatten, pad, permute, reshape, slice, squeeze, stack, transpose, unsqueeze } from '../../../src/autodiff/ops/movement.js';
import { exp, square } from '../../../src/autodiff/ops/unary.js';
import { randn } from '../../../src/tensor/create.js';
import { indices } from '../../../src/tensor/indexing.js';
import type { SliceSpec } from '../../../src/tensor/movement.js';
import type { IndexTensor, Tensor } from '../../../src/tensor/tensor.js';
import { axisArb, checkAllOrders, numel, permutationArb, shapeArb, tensorArb, type Shape } from '../../support/ad.js';
import { runs } from '../../support/check.js';
import { row, type GradTable } from '../../support/grad-rows.js';
import { primeFactors } from '../../support/reference.js';

/** Checks op and, for a non-trivial Hessian, x ↦ op(x)² ⊙ exp(op(x)) at orders 1–3. */
function checkLinearOp(op: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): void {
  checkAllOrders(op, inputs);
  checkAllOrders((...xs) => {
    const y = op(...xs);
    return mul(square(y), exp(y));
  }, inputs);
}

/** A target shape with n elements: the prime factors regrouped, some 1s inserted, maybe one -1. */
function reshapeTargetArb(n: number): fc.Arbitrary<number[]> {
  const primes = primeFactors(n);
  return fc
    .tuple(
      fc.shuffledSubarray(primes, { minLength: primes.length, maxLength: primes.length }),
      fc.array(fc.boolean(), { minLength: primes.length, maxLength: primes.length }),
      fc.integer({ min: 0, max: 2 }),
      fc.boolean(),
    )
    .map(([ps, cuts, ones, infer]) => {
      const dims: number[] = [];
      ps.forEach((p, i) => {
        if (i === 0 || cuts[i]) dims.push(p);
        else dims[dims.length - 1]! *= p;
      });
      for (let k = 0; k < ones; k++) dims.splice(k % (dims.length + 1), 0, 1);
      if (infer && dims.length > 0) dims[dims.length - 1] = -1;
      return dims;
    });
}

/** Slice specs for a shape: per axis null or a non-empty range, sometimes written with negative ends. */
function sliceSpecsArb(shape: Shape): fc.Arbitrary<SliceSpec[]> {
  const axis = (d: number): fc.Arbitrary<SliceSpec> =>
    fc.oneof(
      fc.constant(null),
      fc
        .tuple(fc.integer({ min: 0, max: d - 1 }), fc.integer({ min: 1, max: d }), fc.boolean())
        .filter(([a, b]) => a < b)
        .map(([a, b, negative]) => (negative ? ([a - d, b - d === 0 ? d : b - d] as const) : ([a, b] as const))),
    );
  return fc.tuple(...shape.map(axis)).chain((specs) => fc.integer({ min: 0, max: specs.length }).map((k) => specs.slice(0, k)));
}

/** Flat indices into `size` elements (repeats allowed) in a random shape. */
function indexArb(size: number): fc.Arbitrary<IndexTensor> {
  return shapeArb({ maxSize: 8 }).chain((s) =>
    fc.array(fc.integer({ min: 0, max: size - 1 }), { minLength: numel(s), maxLength: numel(s) }).map((v) => indices(v, s)),
  );
}

/** Gradcheck rows of the movement ops (run by test/autodiff/ops-movement.test.ts). */
export const MOVEMENT_ROWS: GradTable = {
  title: 'movement ops: gradcheck at orders 1, 2, 3 (alone and inside a nonlinear function)',
  rows: [
    row('reshape to a random regrouping (with -1 and inserted 1s)', { reshape }, ({ reshape }) => {
      const arb = shapeArb().chain((s) => fc.tuple(tensorArb(s), reshapeTargetArb(numel(s))));
      fc.assert(
        fc.property(arb, ([x, target]) => {
          checkLinearOp((t) => reshape(t, target), [x]);
        }),
        runs(40),
      );
    }),

    row('permute by a random permutation (some axes negative) and transpose of two random axes', { permute, transpose }, ({ permute, transpose }) => {
      const arb = shapeArb({ minRank: 1 }).chain((s) =>
        fc.tuple(tensorArb(s), permutationArb(s.length), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }), axisArb(s.length), axisArb(s.length)),
      );
      fc.assert(
        fc.property(arb, ([x, perm, neg, d0, d1]) => {
          const p = perm.map((a, i) => (neg[i] ? a - x.ndim : a));
          checkLinearOp((t) => permute(t, p), [x]);
          checkLinearOp((t) => transpose(t, d0, d1), [x]);
        }),
        runs(40),
      );
    }),

    row('slice with random ranges', { slice }, ({ slice }) => {
      const arb = shapeArb().chain((s) => fc.tuple(tensorArb(s), sliceSpecsArb(s)));
      fc.assert(
        fc.property(arb, ([x, specs]) => {
          checkLinearOp((t) => slice(t, specs), [x]);
        }),
        runs(40),
      );
    }),

    row('pad the trailing axes by random amounts and values', { pad }, ({ pad }) => {
      const arb = shapeArb({ maxSize: 6 }).chain((s) =>
        fc.tuple(
          tensorArb(s),
          fc.integer({ min: 0, max: s.length }).chain((k) => fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 1 })), { minLength: k, maxLength: k })),
          fc.constantFrom(0, -0.5, 1.25),
        ),
      );
      fc.assert(
        fc.property(arb, ([x, pads, value]) => {
          checkLinearOp((t) => pad(t, pads, value), [x]);
        }),
        runs(40),
      );
    }),

    row('concat of 1–3 tensors along a random axis', { concat }, ({ concat }) => {
      const arb = shapeArb({ minRank: 1, maxSize: 6 }).chain((s) =>
        fc.tuple(axisArb(s.length), fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 })).chain(([axis, sizes]) => {
          const a = axis < 0 ? axis + s.length : axis;
          return fc.tuple(fc.constant(axis), fc.tuple(...sizes.map((n) => tensorArb(s.map((d, i) => (i === a ? n : d))))));
        }),
      );
      fc.assert(
        fc.property(arb, ([axis, xs]) => {
          checkLinearOp((...ts) => concat(ts, axis), xs);
        }),
        runs(40),
      );
    }),

    row('stack of 1–3 equal-shape tensors along a random new axis', { stack }, ({ stack }) => {
      const arb = shapeArb({ maxSize: 4 }).chain((s) =>
        fc.tuple(fc.integer({ min: -(s.length + 1), max: s.length }), fc.integer({ min: 1, max: 3 }).chain((k) => fc.array(tensorArb(s), { minLength: k, maxLength: k }))),
      );
      fc.assert(
        fc.property(arb, ([axis, xs]) => {
          checkLinearOp((...ts) => stack(ts, axis), xs);
        }),
        runs(40),
      );
    }),

    row('unsqueeze, squeeze and flatten at random axes', { unsqueeze, squeeze, flatten }, ({ unsqueeze, squeeze, flatten }) => {
      const arb = shapeArb().chain((s) =>
        fc.tuple(
          tensorArb(s),
          fc.integer({ min: -(s.length + 1), max: s.length }),
          fc.integer({ min: 0, max: Math.max(s.length - 1, 0) }),
          fc.integer({ min: 0, max: Math.max(s.length - 1, 0) }),
        ),
      );
      fc.assert(
        fc.property(arb, ([x, ax, f0, f1]) => {
          checkLinearOp((t) => unsqueeze(t, ax), [x]);
          const u = unsqueeze(x, ax); // has a size-1 axis to squeeze
          const a = ax < 0 ? ax + x.ndim + 1 : ax;
          checkLinearOp((t) => squeeze(t, a), [u]);
          checkLinearOp((t) => squeeze(t), [u]);
          if (x.ndim > 0) checkLinearOp((t) => flatten(t, Math.min(f0, f1), Math.max(f0, f1)), [x]);
          checkLinearOp((t) => flatten(t), [x]);
        }),
        runs(20),
      );
    }),

    row('larger inputs in random-direction mode', { reshape, permute, slice, pad, concat, stack }, ({ reshape, permute, slice, pad, concat, stack }) => {
      const x = randn([3, 4, 5], { rng: 3 });
      const y = randn([3, 2, 5], { rng: 4 });
      const cases: Array<[string, (...xs: Tensor[]) => Tensor, Tensor[]]> = [
        ['reshape', (t) => reshape(t, [5, -1]), [x]],
        ['permute', (t) => permute(t, [2, 0, 1]), [x]],
        ['slice', (t) => slice(t, [null, [1, 3], [-4, -1]]), [x]],
        ['pad', (t) => pad(t, [[1, 2], [0, 1]]), [x]],
        ['concat', (a, b) => concat([a!, b!], 1), [x, y]],
        ['stack', (a, b) => stack([a!, b!], -1), [x, randn([3, 4, 5], { rng: 5 })]],
      ];
      for (const [name, op, inputs] of cases) {
        const reports = checkAllOrders((...ts) => square(op(...ts)), inputs, { mode: 'random', seed: 9 });
        expect(reports.map((r) => r.mode), name).toEqual(['random', 'random', 'random']);
      }
    }),
  ],
};

/** Gradcheck rows of gather and scatterAdd (run by test/autodiff/ops-movement.test.ts). */
export const GATHER_ROWS: GradTable = {
  title: 'gather and scatterAdd: gradcheck at orders 1, 2, 3',
  rows: [
    row('gather with random (repeating) indices', { gather }, ({ gather }) => {
      const arb = shapeArb().chain((s) => fc.tuple(tensorArb(s), indexArb(numel(s))));
      fc.assert(
        fc.property(arb, ([x, idx]) => {
          checkLinearOp((t) => gather(t, idx), [x]);
        }),
        runs(40),
      );
    }),

    row('scatterAdd with random (colliding) indices, values of the index shape or any shape of that size', { scatterAdd }, ({ scatterAdd }) => {
      const arb = fc
        .tuple(shapeArb({ maxSize: 8 }), shapeArb({ maxSize: 6 }), fc.boolean())
        .chain(([target, idxShape, reshaped]) =>
          fc.tuple(
            fc.array(fc.integer({ min: 0, max: numel(target) - 1 }), { minLength: numel(idxShape), maxLength: numel(idxShape) }).map((v) => indices(v, idxShape)),
            // The kernel only needs g.size === idx.size: also try g flattened to one axis.
            tensorArb(reshaped ? [numel(idxShape)] : idxShape),
            fc.constant(target),
          ),
        );
      fc.assert(
        fc.property(arb, ([idx, g, target]) => {
          checkLinearOp((t) => scatterAdd(t, idx, target), [g]);
        }),
        runs(40),
      );
    }),
  ],
};
