import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/create.js';
import { erfScalar } from '../../src/tensor/special.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import {
  abs, erf, exp, gelu, log, neg, reciprocal, relu, sigmoid, sign, softplus, sqrt, square, tanh,
} from '../../src/tensor/unary.js';
import { expectClose, runs } from '../support/check.js';
import { dtypeArb, erfHighPrecision, refArb, refOf, shapeArb, toTensor } from '../support/reference.js';

/** erf to ~1e-17 for any double (high-precision series where it is needed, limits elsewhere). */
function erfRef(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax === 0) return x;
  if (ax < 2 ** -8) return (2 / Math.sqrt(Math.PI)) * x * (1 - (x * x) / 3 + (x * x * x * x) / 10);
  if (ax > 8) return Math.sign(x); // erfc(8) ≈ 1e-29
  return erfHighPrecision(x);
}

interface UnaryCase {
  name: string;
  op: (x: Tensor) => Tensor;
  f: (x: number) => number;
  /** Tolerance in float64 (absolute, relative); exact when the kernel uses the same formula. */
  tol?: [number, number];
  range?: [number, number];
}

/** Reference definitions, written the plain mathematical way. */
const CASES: readonly UnaryCase[] = [
  { name: 'neg', op: neg, f: (x) => -x },
  { name: 'abs', op: abs, f: (x) => (x < 0 ? -x : x) },
  { name: 'sign', op: sign, f: (x) => (x > 0 ? 1 : x < 0 ? -1 : 0) },
  { name: 'exp', op: exp, f: Math.exp },
  { name: 'log', op: log, f: Math.log },
  { name: 'sqrt', op: sqrt, f: Math.sqrt },
  { name: 'square', op: square, f: (x) => x * x },
  { name: 'reciprocal', op: reciprocal, f: (x) => 1 / x },
  { name: 'relu', op: relu, f: (x) => (x > 0 ? x : 0) },
  { name: 'sigmoid', op: sigmoid, f: (x) => 1 / (1 + Math.exp(-x)), tol: [1e-300, 4e-16] },
  { name: 'tanh', op: tanh, f: Math.tanh },
  { name: 'softplus', op: softplus, f: (x) => Math.log1p(Math.exp(x)), tol: [1e-300, 4e-16], range: [-30, 30] },
  { name: 'erf', op: erf, f: erfRef, tol: [1e-15, 0], range: [-8, 8] },
  { name: 'gelu', op: gelu, f: (x) => 0.5 * x * (1 + erfRef(x * Math.SQRT1_2)), tol: [2e-15, 2e-16], range: [-12, 12] },
];

describe.each(CASES)('$name', ({ op, f, tol, range }) => {
  it('matches the reference element by element, any shape, both dtypes', () => {
    const [lo, hi] = range ?? [-10, 10];
    fc.assert(
      fc.property(refArb(shapeArb(), { min: lo, max: hi }), dtypeArb, (a, dtype) => {
        const x = toTensor(a, dtype);
        const y = op(x);
        expect([...y.shape]).toEqual(a.shape);
        expect(y.dtype).toBe(dtype);
        const ref = refOf(x).data.map(f);
        if (dtype === 'float32') {
          // The kernel evaluates in double and rounds once: at most one float32 ulp from the rounded reference.
          expectClose(y.data, ref.map(Math.fround), tol === undefined ? 0 : 1e-30, tol === undefined ? 0 : 2 ** -23);
        } else {
          expectClose(y.data, ref, tol?.[0] ?? 0, tol?.[1] ?? 0);
        }
        expect(x.toFlatArray()).toEqual(refOf(toTensor(a, dtype)).data); // input untouched
      }),
      runs(50),
    );
  });
});

describe('special values', () => {
  it('sigmoid is finite and saturates cleanly at ±800 (no NaN), accurate in the tails', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const y = sigmoid(tensor([800, -800, Infinity, -Infinity, 0], { dtype })).toFlatArray();
      expect(y).toEqual([1, 0, 1, 0, 0.5]);
    }
    expectClose(sigmoid(tensor([-30, -700])).data, [9.357622968839299e-14, 9.85967654375977e-305], 0, 1e-14);
    expect(Number.isNaN(sigmoid(tensor([NaN])).item())).toBe(true);
  });

  it('softplus at ±800 and in the tails', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const y = softplus(tensor([800, -800, Infinity, -Infinity], { dtype })).toFlatArray();
      expect(y).toEqual([800, 0, Infinity, 0]);
    }
    expectClose(softplus(tensor([-30, 30, 0])).data, [9.357622968839737e-14, 30.000000000000092, Math.LN2], 0, 1e-15);
    expect(Number.isNaN(softplus(tensor([NaN])).item())).toBe(true);
  });

  it('tanh / exp / log / sqrt / reciprocal at the edges', () => {
    expect(tanh(tensor([800, -800])).toFlatArray()).toEqual([1, -1]);
    expect(exp(tensor([800, -800])).toFlatArray()).toEqual([Infinity, 0]);
    expect(log(tensor([0, -1, Infinity])).toFlatArray()).toEqual([-Infinity, NaN, Infinity]);
    expect(sqrt(tensor([-1, 0, 4])).toFlatArray()).toEqual([NaN, 0, 2]);
    expect(reciprocal(tensor([0, -0, 4])).toFlatArray()).toEqual([Infinity, -Infinity, 0.25]);
    expect(square(tensor([1e200], { dtype: 'float32' })).toFlatArray()).toEqual([Infinity]);
  });

  it('relu: relu(0) = 0, negatives to 0, NaN propagates (it is max(x, 0))', () => {
    const y = relu(tensor([-2, -0, 0, 3, NaN, -Infinity, Infinity])).toFlatArray();
    expect(y).toEqual([0, 0, 0, 3, NaN, 0, Infinity]);
    expect(Object.is(y[1], 0)).toBe(true);
  });

  it('sign and abs on zeros and infinities', () => {
    expect(sign(tensor([-3, -0, 0, 2, -Infinity, Infinity])).toFlatArray()).toEqual([-1, 0, 0, 1, -1, 1]);
    expect(abs(tensor([-0, -Infinity, -2.5])).toFlatArray()).toEqual([0, Infinity, 2.5]);
  });
});

describe('erf', () => {
  it('known values to 1e-15 (1e-14 is the promise)', () => {
    const known: [number, number][] = [
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [1.5, 0.9661051464753108],
      [2, 0.9953222650189527],
      [2.5, 0.999593047982555],
      [3, 0.9999779095030014],
      [4, 0.9999999845827421],
      [1e-8, 1.1283791670955126e-8],
    ];
    for (const [x, v] of known) {
      expect(Math.abs(erfScalar(x) - v)).toBeLessThanOrEqual(1e-15);
      expect(Math.abs(erfScalar(-x) + v)).toBeLessThanOrEqual(1e-15);
    }
    expect(erf(tensor(known.map(([x]) => x))).toFlatArray().map((v, i) => Math.abs(v - known[i]![1]))
      .every((e) => e <= 1e-15)).toBe(true);
  });

  it('is within 1e-15 of a 256-bit reference over a dense grid and on both sides of each interval of the approximation', () => {
    let worst = 0;
    for (let i = -7000; i <= 7000; i++) {
      const x = i / 1000 + 1e-7 * (((i % 13) + 13) % 13);
      if (Math.abs(x) < 2 ** -8) continue;
      worst = Math.max(worst, Math.abs(erfScalar(x) - erfHighPrecision(x)));
    }
    expect(worst).toBeLessThanOrEqual(1e-15);
    const edges = [0.84375, 1.25, 1 / 0.35, 6];
    for (const x of edges.flatMap((e) => [e * (1 - 2 ** -52), e, e * (1 + 2 ** -52)])) {
      expect(Math.abs(erfScalar(x) - erfHighPrecision(x))).toBeLessThanOrEqual(1e-15);
    }
  });

  it('odd, bounded by 1, monotone, with exact limits', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (x) => {
        const v = erfScalar(x);
        expect(erfScalar(-x) + 0).toBe(-v + 0); // (the sign of a zero result is not promised)
        expect(Math.abs(v)).toBeLessThanOrEqual(1);
      }),
      runs(300),
    );
    let prev = -1;
    for (let i = -4000; i <= 4000; i++) {
      const v = erfScalar(i / 500);
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
    expect(erfScalar(Infinity)).toBe(1);
    expect(erfScalar(-Infinity)).toBe(-1);
    expect(erfScalar(0)).toBe(0);
    expect(Number.isNaN(erfScalar(NaN))).toBe(true);
    expect(erfScalar(1e-300)).toBe((2 / Math.sqrt(Math.PI)) * 1e-300);
  });
});

describe('gelu', () => {
  it('known values x·Φ(x)', () => {
    const known: [number, number][] = [
      [1, 0.8413447460685429],
      [-1, -0.15865525393145705],
      [2, 1.9544997361036416],
      [-2, -0.04550026389635842],
      [0.5, 0.34573123063700656],
      [3, 2.99595030590511],
      [-3, -0.0040496940948902835],
      [-5, -1.4332578593959695e-6],
    ];
    const y = gelu(tensor(known.map(([x]) => x)));
    expectClose(y.data, known.map(([, v]) => v), 1e-15, 1e-15);
  });

  it('saturates: identity for large x, 0 for very negative x, 0 at 0', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const y = gelu(tensor([800, -800, 0, 40, -40], { dtype })).toFlatArray();
      expect(y.map((v) => v + 0)).toEqual([800, 0, 0, 40, 0]); // (−800)·0 is −0: fine
      expect(y.every((v) => Number.isFinite(v))).toBe(true);
    }
  });
});
