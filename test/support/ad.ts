/**
 * Shared fast-check arbitraries and helpers for the autodiff property tests.
 *
 * Every generator keeps its values away from the points where the op under test is not smooth
 * (kinks, ties, singularities), so a finite difference of step 1e-6 never straddles one and the
 * gradchecks at orders 1–3 compare like with like. Shapes stay tiny (at most 12 elements by
 * default) so the full-Jacobian mode of gradcheck stays fast even at third order.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  gradcheck,
  gradgradcheck,
  thirdOrderGradcheck,
  type CheckedFunction,
  type GradcheckOptions,
  type GradcheckReport,
} from '../../src/autodiff/gradcheck.js';
import { record } from '../../src/autodiff/node.js';
import { tensor } from '../../src/tensor/create.js';
import { Tensor } from '../../src/tensor/tensor.js';

export type Shape = number[];

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export interface ShapeConstraints {
  minRank?: number;
  maxRank?: number;
  /** Largest dimension (default 4). */
  maxDim?: number;
  /** Largest number of elements (default 12). */
  maxSize?: number;
}

/** Shapes of rank minRank..maxRank (default 0..3) with at most maxSize elements. */
export function shapeArb(c: ShapeConstraints = {}): fc.Arbitrary<Shape> {
  const maxSize = c.maxSize ?? 12;
  // Rank first (uniformly), so rank-2 and rank-3 shapes are as common as scalars and vectors.
  return fc
    .integer({ min: c.minRank ?? 0, max: c.maxRank ?? 3 })
    .chain((rank) => fc.array(fc.integer({ min: 1, max: c.maxDim ?? 4 }), { minLength: rank, maxLength: rank }))
    .filter((s) => numel(s) <= maxSize);
}

/**
 * Two shapes that broadcast together (NumPy rules): both derived from one full shape by dropping
 * leading axes and setting some axes to 1, so every kind of broadcast (rank difference, size-1
 * axes on either side, scalars) occurs.
 */
export function broadcastPairArb(c: ShapeConstraints = {}): fc.Arbitrary<[Shape, Shape]> {
  const derive = (full: Shape): fc.Arbitrary<Shape> =>
    fc
      .tuple(
        fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 0, max: full.length }), weight: 1 }),
        fc.array(fc.integer({ min: 0, max: 2 }).map((k) => k === 0), { minLength: full.length, maxLength: full.length }),
      )
      .map(([drop, ones]) => full.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
  return shapeArb({ minRank: 1, ...c }).chain((full) => fc.tuple(derive(full), derive(full)));
}

/**
 * How the values of a generated tensor stay away from trouble:
 * - 'smooth': anywhere in [-2, 2] (for ops smooth everywhere);
 * - 'awayFromZero': |x| in [0.1, 2] with either sign (abs, relu, sign-like kinks at 0);
 * - 'positive': [0.5, 2] (log, sqrt, reciprocal, div denominators, pow bases);
 * - 'distinct': pairwise separated by more than 0.15 (max/min reductions: no ties).
 */
export type ValueKind = 'smooth' | 'awayFromZero' | 'positive' | 'distinct';

/**
 * A double in [min, max] on an unbiased grid of 2³⁰ steps. (fc.double's bias towards 0 and
 * subnormals would crowd the small shapes with ±1e-300s, hiding any derivative that vanishes at 0.)
 */
const STEPS = 2 ** 30;
const dbl = (min: number, max: number): fc.Arbitrary<number> =>
  fc.noBias(fc.integer({ min: 0, max: STEPS })).map((k) => min + ((max - min) * k) / STEPS);

/** n values of the given kind. */
export function valuesArb(n: number, kind: ValueKind = 'smooth'): fc.Arbitrary<number[]> {
  const list = (a: fc.Arbitrary<number>): fc.Arbitrary<number[]> => fc.array(a, { minLength: n, maxLength: n });
  switch (kind) {
    case 'smooth':
      return list(dbl(-2, 2));
    case 'positive':
      return list(dbl(0.5, 2));
    case 'awayFromZero':
      return list(fc.tuple(fc.boolean(), dbl(0.1, 2)).map(([neg, m]) => (neg ? -m : m)));
    case 'distinct': {
      // A random permutation of a grid with spacing 0.25, plus jitter in [0, 0.1].
      const grid = Array.from({ length: n }, (_, i) => i);
      return fc
        .tuple(fc.shuffledSubarray(grid, { minLength: n, maxLength: n }), list(dbl(0, 0.1)))
        .map(([perm, jitter]) => perm.map((p, i) => (p - n / 2) * 0.25 + jitter[i]!));
    }
  }
}

/** A float64 tensor of the given shape with values of the given kind. */
export function tensorArb(shape: readonly number[], kind: ValueKind = 'smooth'): fc.Arbitrary<Tensor> {
  return valuesArb(numel(shape), kind).map((v) => tensor(v, { shape }));
}

/** A float64 tensor of a random small shape. */
export function anyTensorArb(kind: ValueKind = 'smooth', c: ShapeConstraints = {}): fc.Arbitrary<Tensor> {
  return shapeArb(c).chain((s) => tensorArb(s, kind));
}

/**
 * Two tensors whose elements are separated by more than 0.1 under any broadcast pairing: a's
 * values sit near even multiples of 0.3, b's near odd multiples (for maximum/minimum without ties).
 */
export function separatedPairArb(shapeA: readonly number[], shapeB: readonly number[]): fc.Arbitrary<[Tensor, Tensor]> {
  const side = (shape: readonly number[], parity: 0 | 1): fc.Arbitrary<Tensor> =>
    fc
      .array(fc.tuple(fc.integer({ min: -3, max: 3 }), dbl(-0.05, 0.05)), { minLength: numel(shape), maxLength: numel(shape) })
      .map((ks) => tensor(ks.map(([k, j]) => 0.3 * (2 * k + parity) + j), { shape }));
  return fc.tuple(side(shapeA, 0), side(shapeB, 1));
}

/** A random permutation of [0, n). */
export function permutationArb(n: number): fc.Arbitrary<number[]> {
  const grid = Array.from({ length: n }, (_, i) => i);
  return fc.shuffledSubarray(grid, { minLength: n, maxLength: n });
}

/** An axis of a rank-n tensor, possibly negative. */
export function axisArb(ndim: number): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: ndim - 1 }).chain((a) => fc.constantFrom(a, a - ndim));
}

/**
 * Axes for a reduction over a rank-n tensor: undefined (all), one axis (maybe negative), or a
 * subset (possibly empty) in random order.
 */
export function reduceAxesArb(ndim: number): fc.Arbitrary<number | number[] | undefined> {
  const options: fc.Arbitrary<number | number[] | undefined>[] = [fc.constant(undefined)];
  if (ndim > 0) {
    options.push(axisArb(ndim));
    options.push(permutationArb(ndim).chain((p) => fc.integer({ min: 0, max: ndim }).map((k) => p.slice(0, k))));
  }
  return fc.oneof(...options);
}

export type OrdersOptions = GradcheckOptions & { orders?: readonly (1 | 2 | 3)[] };

/**
 * gradcheck, gradgradcheck and thirdOrderGradcheck of f at the inputs (all three by default).
 * Throws the first GradcheckError; returns the reports. Each report must have compared something.
 */
export function checkAllOrders(f: CheckedFunction, inputs: readonly Tensor[], opts: OrdersOptions = {}): GradcheckReport[] {
  const { orders = [1, 2, 3], ...gopts } = opts;
  const checks = { 1: gradcheck, 2: gradgradcheck, 3: thirdOrderGradcheck } as const;
  const all = [1, 2, 3].every((k) => orders.includes(k as 1 | 2 | 3));
  if (all) fullChecks++;
  try {
    return orders.map((k) => {
      const report = checks[k](f, inputs, gopts);
      expect(report.order).toBe(k);
      expect(report.checks).toBeGreaterThan(0);
      return report;
    });
  } finally {
    if (all) fullChecks--;
  }
}

let fullChecks = 0;

/** Whether a checkAllOrders at orders 1, 2 and 3 is running (the op-registry rows count op calls made then). */
export function inFullCheck(): boolean {
  return fullChecks > 0;
}

/** A log of VJP calls: the op name and the `needs` flags it was called with. */
export interface VjpCall {
  op: string;
  needs: boolean[];
}

/**
 * An identity op recorded with a VJP that logs its calls (for "work only where needed" tests).
 * The gradient it returns is g itself, so it composes with every other op at any order.
 */
export function tap(x: Tensor, name: string, log: VjpCall[]): Tensor {
  return record(name, new Tensor(x.data, x.shape), [x], (g, needs) => {
    log.push({ op: name, needs: [...needs] });
    return [needs[0] ? tap(g, `${name}'`, log) : null];
  });
}

/** A logging a + b for equal shapes (its VJP passes g through, and logs the needs flags). */
export function tapAdd(a: Tensor, b: Tensor, name: string, log: VjpCall[]): Tensor {
  const data = Float64Array.from(a.data, (v, i) => v + b.data[i]!);
  return record(name, new Tensor(data, a.shape), [a, b], (g, needs) => {
    log.push({ op: name, needs: [...needs] });
    return [needs[0] ? g : null, needs[1] ? g : null];
  });
}

/** Plain values of a tensor. */
export function values(t: Tensor): number[] {
  return Array.from(t.data);
}
