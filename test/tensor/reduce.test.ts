import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scalar, tensor } from '../../src/tensor/create.js';
import type { DType } from '../../src/tensor/dtype.js';
import {
  argmax, argmin, extremeWithIndices, logSoftmax, logsumexp, max, mean, min, softmax, sum, sumTo,
  type Axes,
} from '../../src/tensor/reduce.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, runs } from '../support/check.js';
import {
  allIndices, axesArgArb, broadcastRead, dtypeArb, partnerShapeArb, ravel, refArb, refAxes, refBroadcastShape,
  refOf, refOfShape, refReduce, rounder, shapeArb, toTensor, unravel, type Ref,
} from '../support/reference.js';

/** A random tensor plus an axes argument and keepdims flag for it. */
const reductionCase = (opts: { ties?: boolean; min?: number; max?: number } = {}) =>
  refArb(shapeArb(), opts).chain((a) =>
    fc.record({ a: fc.constant(a), axes: axesArgArb(a.shape.length), keepdims: fc.boolean(), dtype: dtypeArb }),
  );

function tol(dtype: DType): [number, number] {
  return dtype === 'float32' ? [1e-6, 2.5e-7] : [1e-13, 1e-13];
}

function checkTensor(out: Tensor, ref: Ref, dtype: DType, [atol, rtol]: [number, number] = [0, 0]): void {
  expect([...out.shape]).toEqual(ref.shape);
  expect(out.dtype).toBe(dtype);
  expectClose(out.data, ref.data, atol, rtol);
}

/** Pass keepdims either explicitly or (for false) by omission. */
function reduceArgs(axes: Axes | undefined, keepdims: boolean): [Axes | undefined, { keepdims: boolean } | undefined] {
  return [axes, keepdims ? { keepdims } : undefined];
}

interface Extreme {
  v: number;
  flat: number;
}

/** First extreme in scan order; the first NaN wins and sticks. */
function extremeStep(isMax: boolean) {
  return (acc: Extreme | null, v: number, flat: number): Extreme => {
    if (acc === null) return { v, flat };
    if (Number.isNaN(acc.v)) return acc;
    if (Number.isNaN(v)) return { v, flat };
    return (isMax ? v > acc.v : v < acc.v) ? { v, flat } : acc;
  };
}

describe('sum / mean', () => {
  it('sum matches the index-by-index reference for any axes and keepdims', () => {
    fc.assert(
      fc.property(reductionCase(), ({ a, axes, keepdims, dtype }) => {
        const x = toTensor(a, dtype);
        const ax = refAxes(axes, a.shape.length);
        const ref = refReduce(refOf(x), ax, keepdims, () => 0, (acc, v) => acc + v, (acc) => rounder(dtype)(acc));
        checkTensor(sum(x, ...reduceArgs(axes, keepdims)), ref, dtype, tol(dtype));
      }),
      runs(120),
    );
  });

  it('mean matches the reference for any axes and keepdims', () => {
    fc.assert(
      fc.property(reductionCase(), ({ a, axes, keepdims, dtype }) => {
        const x = toTensor(a, dtype);
        const ax = refAxes(axes, a.shape.length);
        const ref = refReduce(refOf(x), ax, keepdims, () => 0, (acc, v) => acc + v, (acc, n) => rounder(dtype)(acc / n));
        checkTensor(mean(x, ...reduceArgs(axes, keepdims)), ref, dtype, tol(dtype));
      }),
      runs(80),
    );
  });

  it('examples, the empty axes list, and a 0-d input', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(sum(x).item()).toBe(21);
    expect(sum(x).shape).toEqual([]);
    expect(sum(x, 0).toFlatArray()).toEqual([5, 7, 9]);
    expect(sum(x, -1, { keepdims: true }).toArray()).toEqual([[6], [15]]);
    expect(sum(x, [0, 1], { keepdims: true }).toArray()).toEqual([[21]]);
    expect(mean(x, 1).toFlatArray()).toEqual([2, 5]);
    expect(sum(x, []).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(sum(scalar(3)).item()).toBe(3);
    expect(mean(scalar(3), undefined, { keepdims: true }).shape).toEqual([]);
  });

  it('float32 sums accumulate in float64 and round once', () => {
    // 2^24 + 1 + 1 ... : a float32 accumulator would get stuck at 2^24.
    const n = 16;
    const x = tensor([2 ** 24, ...new Array<number>(n).fill(1)], { dtype: 'float32' });
    expect(sum(x).item()).toBe(2 ** 24 + n);
    const y = tensor([[2 ** 24, 2 ** 24], [1, 1], [1, 1]], { dtype: 'float32' });
    expect(sum(y, 0).toFlatArray()).toEqual([2 ** 24 + 2, 2 ** 24 + 2]);
  });
});

describe('max / min / extremeWithIndices', () => {
  it('values and flat winner indices match the first-in-scan-order reference (ties, both dtypes)', () => {
    fc.assert(
      fc.property(reductionCase({ ties: true }), fc.constantFrom('max' as const, 'min' as const), ({ a, axes, keepdims, dtype }, op) => {
        const x = toTensor(a, dtype);
        const ax = refAxes(axes, a.shape.length);
        const ref = refReduce<Extreme | null>(refOf(x), ax, keepdims, () => null, extremeStep(op === 'max'), (acc) => acc!.v);
        const refIdx = refReduce<Extreme | null>(refOf(x), ax, keepdims, () => null, extremeStep(op === 'max'), (acc) => acc!.flat);
        const { values, indices } = extremeWithIndices(op, x, ...reduceArgs(axes, keepdims));
        checkTensor(values, ref, dtype);
        expect([...indices.shape]).toEqual(refIdx.shape);
        expect(indices.toFlatArray()).toEqual(refIdx.data);
        checkTensor((op === 'max' ? max : min)(x, ...reduceArgs(axes, keepdims)), ref, dtype);
      }),
      runs(120),
    );
  });

  it('NaN propagates and its position is reported (first NaN in scan order)', () => {
    fc.assert(
      fc.property(reductionCase({ ties: true }), fc.array(fc.nat(), { minLength: 1, maxLength: 3 }), ({ a, axes, keepdims, dtype }, nanAt) => {
        const data = a.data.slice();
        for (const k of nanAt) data[k % data.length] = NaN;
        const x = toTensor({ shape: a.shape, data }, dtype);
        const ax = refAxes(axes, a.shape.length);
        for (const op of ['max', 'min'] as const) {
          const ref = refReduce<Extreme | null>(refOf(x), ax, keepdims, () => null, extremeStep(op === 'max'), (acc) => acc!.v);
          const refIdx = refReduce<Extreme | null>(refOf(x), ax, keepdims, () => null, extremeStep(op === 'max'), (acc) => acc!.flat);
          const { values, indices } = extremeWithIndices(op, x, ...reduceArgs(axes, keepdims));
          checkTensor(values, ref, dtype);
          expect(indices.toFlatArray()).toEqual(refIdx.data);
        }
      }),
      runs(60),
    );
    expect(max(tensor([1, NaN, 3])).item()).toBeNaN();
    expect(min(tensor([NaN, -1])).item()).toBeNaN();
    expect(max(tensor([[1, 2], [NaN, 0]]), 1).toFlatArray()).toEqual([2, NaN]);
    expect(extremeWithIndices('max', tensor([1, NaN, NaN, 5])).indices.toFlatArray()).toEqual([1]);
  });

  it('ties go to the first maximum in scan order', () => {
    expect(extremeWithIndices('max', tensor([1, 3, 3, 2])).indices.toFlatArray()).toEqual([1]);
    expect(extremeWithIndices('min', tensor([2, 0, 5, 0])).indices.toFlatArray()).toEqual([1]);
    const x = tensor([[[1, 7], [7, 0]], [[7, 7], [2, 7]]]); // [2,2,2]
    // Over axes 0 and 2 (not adjacent): for j = 0 the candidates in scan order are x[0,0,0]=1, x[0,0,1]=7 (flat 1), ...
    const r = extremeWithIndices('max', x, [0, 2]);
    expect(r.values.toFlatArray()).toEqual([7, 7]);
    expect(r.indices.toFlatArray()).toEqual([1, 2]);
    expect(max(tensor([-0, 0])).item()).toBe(-0);
  });

  it('infinities', () => {
    expect(max(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(min(tensor([Infinity, 3])).item()).toBe(3);
    expect(max(tensor([1, Infinity]), 0, { keepdims: true }).toArray()).toEqual([Infinity]);
  });
});

describe('argmax / argmin', () => {
  it('along one axis (or the flattened tensor) match the reference, keepdims both ways', () => {
    const caseArb = refArb(shapeArb(), { ties: true }).chain((a) => {
      const nd = a.shape.length;
      const axis = nd === 0 ? fc.constant(undefined) : fc.option(fc.integer({ min: -nd, max: nd - 1 }), { nil: undefined });
      return fc.record({ a: fc.constant(a), axis, keepdims: fc.boolean(), dtype: dtypeArb });
    });
    fc.assert(
      fc.property(caseArb, ({ a, axis, keepdims, dtype }) => {
        const x = toTensor(a, dtype);
        const nd = a.shape.length;
        for (const [fn, isMax] of [[argmax, true], [argmin, false]] as const) {
          const ax = axis === undefined ? refAxes(undefined, nd) : [axis < 0 ? axis + nd : axis];
          const ref = refReduce<Extreme | null>(refOf(x), ax, keepdims, () => null, extremeStep(isMax), (acc) =>
            axis === undefined ? acc!.flat : unravel(acc!.flat, a.shape)[ax[0]!]!,
          );
          const got = keepdims ? fn(x, axis, { keepdims }) : fn(x, axis);
          expect([...got.shape]).toEqual(ref.shape);
          expect(got.data).toBeInstanceOf(Int32Array);
          expect(got.toFlatArray()).toEqual(ref.data);
        }
      }),
      runs(120),
    );
  });

  it('examples with ties and NaN', () => {
    const x = tensor([[3, 1, 3], [0, 5, 5]]);
    expect(argmax(x).toFlatArray()).toEqual([4]);
    expect(argmax(x, 1).toFlatArray()).toEqual([0, 1]);
    expect(argmax(x, 0).toFlatArray()).toEqual([0, 1, 1]);
    expect(argmax(tensor([[3, 1, 5], [3, 5, 5]]), 0).toFlatArray()).toEqual([0, 1, 0]);
    expect(argmin(x, -1, { keepdims: true }).toArray()).toEqual([[1], [0]]);
    expect(argmax(tensor([1, NaN, 2, NaN])).toFlatArray()).toEqual([1]);
    expect(argmax(scalar(4)).toFlatArray()).toEqual([0]);
  });

  it('errors name the op', () => {
    expect(() => argmax(tensor([[1]]), 2)).toThrow('argmax: axis 2 is out of range for a tensor with 2 dimensions');
    expect(() => argmin(tensor([1]), -2)).toThrow('argmin: axis -2 is out of range for a tensor with 1 dimensions');
  });
});

describe('logsumexp', () => {
  it('matches log Σ exp for moderate values, any axes and keepdims', () => {
    fc.assert(
      fc.property(reductionCase({ min: -20, max: 20 }), ({ a, axes, keepdims, dtype }) => {
        const x = toTensor(a, dtype);
        const ax = refAxes(axes, a.shape.length);
        const ref = refReduce(refOf(x), ax, keepdims, () => 0, (acc, v) => acc + Math.exp(v), (acc) => rounder(dtype)(Math.log(acc)));
        checkTensor(logsumexp(x, ...reduceArgs(axes, keepdims)), ref, dtype, dtype === 'float32' ? [1e-6, 2.5e-7] : [1e-14, 1e-14]);
      }),
      runs(80),
    );
  });

  it('is stable at ±1000 and shift-equivariant', () => {
    expectClose(logsumexp(tensor([1000, 1000])).data, [1000 + Math.LN2], 0, 1e-15);
    expectClose(logsumexp(tensor([-1000, -1000])).data, [-1000 + Math.LN2], 0, 1e-15);
    expectClose(logsumexp(tensor([[1000, 0], [-1000, -1001]]), 1).data, [1000, -1000 + Math.log1p(Math.exp(-1))], 0, 1e-15);
    expectClose(logsumexp(tensor([1000, 1000], { dtype: 'float32' })).data, [Math.fround(1000 + Math.LN2)], 0, 0);
    fc.assert(
      fc.property(refArb(shapeArb(1, 3), { min: -5, max: 5 }), fc.constantFrom(1000, -1000, 700), (a, c) => {
        const x = toTensor(a);
        const shifted = toTensor({ shape: a.shape, data: a.data.map((v) => v + c) });
        const l1 = logsumexp(x, -1);
        const l2 = logsumexp(shifted, -1);
        expect(l2.toFlatArray().every(Number.isFinite)).toBe(true);
        expectClose(l2.data, l1.toFlatArray().map((v) => v + c), 1e-12, 1e-15);
      }),
      runs(30),
    );
  });

  it('handles infinities and NaN', () => {
    expect(logsumexp(tensor([Infinity, 1])).item()).toBe(Infinity);
    expect(logsumexp(tensor([-Infinity, -Infinity])).item()).toBe(-Infinity);
    expect(logsumexp(tensor([-Infinity, 0])).item()).toBe(0);
    expect(logsumexp(tensor([1, NaN, Infinity])).item()).toBeNaN();
    expect(logsumexp(tensor([Infinity, NaN])).item()).toBeNaN();
    expect(logsumexp(scalar(5)).item()).toBe(5);
  });
});

describe('softmax / logSoftmax', () => {
  /** Plain definition along one axis: exp(x_i) / Σ_k exp(x_k) over the same fibre. */
  function refSoftmax(a: Ref, axis: number, log: boolean, dtype: DType): Ref {
    const ax = axis < 0 ? axis + a.shape.length : axis;
    const data = allIndices(a.shape).map((idx) => {
      let s = 0;
      for (let k = 0; k < a.shape[ax]!; k++) {
        const j = idx.slice();
        j[ax] = k;
        s += Math.exp(a.data[ravel(j, a.shape)]!);
      }
      const v = a.data[ravel(idx, a.shape)]!;
      return rounder(dtype)(log ? v - Math.log(s) : Math.exp(v) / s);
    });
    return { shape: a.shape, data };
  }

  const caseArb = refArb(shapeArb(1, 4), { min: -20, max: 20 }).chain((a) =>
    fc.record({
      a: fc.constant(a),
      axis: fc.option(fc.integer({ min: -a.shape.length, max: a.shape.length - 1 }), { nil: undefined }),
      dtype: dtypeArb,
    }),
  );

  it('match the plain definitions along any axis (default last)', () => {
    fc.assert(
      fc.property(caseArb, ({ a, axis, dtype }) => {
        const x = toTensor(a, dtype);
        const ax = axis ?? -1;
        const t: [number, number] = dtype === 'float32' ? [1e-7, 2.5e-7] : [1e-15, 1e-13];
        checkTensor(axis === undefined ? softmax(x) : softmax(x, axis), refSoftmax(refOf(x), ax, false, dtype), dtype, t);
        checkTensor(axis === undefined ? logSoftmax(x) : logSoftmax(x, axis), refSoftmax(refOf(x), ax, true, dtype), dtype, dtype === 'float32' ? [1e-6, 2.5e-7] : [1e-13, 1e-14]);
      }),
      runs(80),
    );
  });

  it('softmax sums to 1 along the axis and is shift-invariant, even at ±1000', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom(0, 1000, -1000), ({ a, axis, dtype }, c) => {
        const ax = axis ?? -1;
        const x = toTensor({ shape: a.shape, data: a.data.map((v) => v + c) }, dtype);
        const p = softmax(x, ax);
        expect(p.toFlatArray().every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
        const s = sum(p, ax);
        expectClose(s.data, new Array<number>(s.size).fill(1), dtype === 'float32' ? 1e-6 : 1e-14, 0);
        const lp = logSoftmax(x, ax);
        expect(lp.toFlatArray().every((v) => Number.isFinite(v) && v <= 0)).toBe(true);
        if (dtype === 'float64') {
          expectClose(p.data, softmax(toTensor(a), ax).data, 1e-12, 1e-9);
          expectClose(lp.data, logSoftmax(toTensor(a), ax).data, 1e-10, 1e-12);
        }
      }),
      runs(60),
    );
  });

  it('large-value examples', () => {
    expectClose(softmax(tensor([1000, 1000])).data, [0.5, 0.5], 0, 0);
    expectClose(softmax(tensor([-1000, -1000, -1000, -1000])).data, [0.25, 0.25, 0.25, 0.25], 0, 1e-15);
    expect(softmax(tensor([1000, 0])).toFlatArray()).toEqual([1, 0]);
    expect(logSoftmax(tensor([1000, 0])).toFlatArray()).toEqual([0, -1000]);
    expectClose(logSoftmax(tensor([-1000, -1000])).data, [-Math.LN2, -Math.LN2], 0, 1e-15);
    expectClose(logSoftmax(tensor([[1000, 1001], [0, 1]]), 1).data, [-1.3132616875182228, -0.3132616875182228, -1.3132616875182228, -0.3132616875182228], 0, 1e-14);
    expect(softmax(tensor([[1000], [-1000]]), 0).toFlatArray()).toEqual([1, 0]);
    expect(softmax(tensor([800, -800], { dtype: 'float32' })).toFlatArray()).toEqual([1, 0]);
  });

  it('need at least one dimension', () => {
    expect(() => softmax(scalar(1))).toThrow('softmax: needs at least one dimension, got shape []');
    expect(() => logSoftmax(scalar(1))).toThrow('logSoftmax: needs at least one dimension, got shape []');
    expect(() => softmax(tensor([1, 2]), 1)).toThrow('softmax: axis 1 is out of range for a tensor with 1 dimensions');
  });
});

describe('sumTo', () => {
  it('sums a broadcast result back down to the operand shape (the adjoint of broadcasting)', () => {
    const caseArb = shapeArb(0, 4)
      .chain((full) => fc.tuple(fc.constant(full), partnerShapeArb(full), partnerShapeArb(full)))
      .chain(([, small, other]) => {
        const big = refBroadcastShape(small, other)!;
        return fc.record({ small: fc.constant(small), x: refOfShape(big), dtype: dtypeArb });
      });
    fc.assert(
      fc.property(caseArb, ({ small, x, dtype }) => {
        const t = toTensor(x, dtype);
        const xr = refOf(t);
        // Reference: every element of x adds into the operand element it was broadcast from.
        const out = new Array<number>(small.reduce((p, d) => p * d, 1)).fill(0);
        const positions = allIndices(small);
        for (const idx of allIndices(x.shape)) {
          const off = idx.length - small.length;
          const j = small.map((d, i) => (d === 1 ? 0 : idx[off + i]!));
          out[ravel(j, small)]! += xr.data[ravel(idx, x.shape)]!;
        }
        expect(positions.length).toBe(out.length);
        checkTensor(sumTo(t, small), { shape: small, data: out.map(rounder(dtype)) }, dtype, tol(dtype));
        // Adjoint identity: <broadcast(g), x> = <g, sumTo(x)>.
        if (dtype === 'float64') {
          const g: Ref = { shape: small, data: out.map((_, i) => (i % 3) - 1) };
          let lhs = 0;
          for (const idx of allIndices(x.shape)) lhs += broadcastRead(g, idx) * x.data[ravel(idx, x.shape)]!;
          const s = sumTo(t, small);
          const rhs = g.data.reduce((acc, v, i) => acc + v * s.data[i]!, 0);
          expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-10 * (1 + Math.abs(lhs)));
        }
      }),
      runs(100),
    );
  });

  it('examples (same shape is the identity)', () => {
    expect(sumTo(tensor([[1, 2]]), [1, 2]).toArray()).toEqual([[1, 2]]);
    expect(sumTo(tensor([[1, 2], [3, 4]]), []).item()).toBe(10);
    expect(sumTo(tensor([[1, 2], [3, 4]]), [1, 1]).toArray()).toEqual([[10]]);
    expect(sumTo(tensor([[1, 2], [3, 4]]), [2, 1]).toArray()).toEqual([[3], [7]]);
  });

  it('errors', () => {
    expect(() => sumTo(tensor([1, 2]), [1, 2])).toThrow('sumTo: cannot sum [2] down to the larger rank [1,2]');
    expect(() => sumTo(tensor([[1, 2, 3]]), [2])).toThrow('sumTo: shape [1,3] does not broadcast from [2]');
    expect(() => sumTo(tensor([[1], [2]]), [2, 3])).toThrow('sumTo: shape [2,1] does not broadcast from [2,3]');
  });
});

describe('reduction errors', () => {
  const x = tensor([[1, 2], [3, 4]]);
  it('axis out of range and repeated axes name the op', () => {
    expect(() => sum(x, 2)).toThrow('sum: axis 2 is out of range for a tensor with 2 dimensions');
    expect(() => mean(x, [-3])).toThrow('mean: axis -3 is out of range for a tensor with 2 dimensions');
    expect(() => max(x, [0, -2])).toThrow('max: axis -2 is repeated in [0,-2]');
    expect(() => min(x, [1, 1])).toThrow('min: axis 1 is repeated in [1,1]');
    expect(() => logsumexp(x, [0.5])).toThrow('logsumexp: axis 0.5 is out of range for a tensor with 2 dimensions');
    expect(() => sum(scalar(1), 0)).toThrow('sum: axis 0 is out of range for a tensor with 0 dimensions');
  });
});
