import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scalar, tensor } from '../../src/tensor/create.js';
import { promote, type DType } from '../../src/tensor/dtype.js';
import {
  concat, expand, flatten, inversePerm, pad, permute, reshape, slice, squeeze, stack, transpose, unsqueeze,
  type SliceSpec,
} from '../../src/tensor/movement.js';
import { broadcastShapes, sameShape, sizeOf, stridesOf } from '../../src/tensor/shape.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, runs } from '../support/check.js';
import {
  allIndices, broadcastRead, broadcastShapesArb, dtypeArb, numel, partnerShapeArb, ravel, refArb, refBroadcastShape,
  primeFactors, refOf, refOfShape, rounder, shapeArb, toTensor, type Ref,
} from '../support/reference.js';

function checkTensor(out: Tensor, ref: Ref, dtype: DType): void {
  expect([...out.shape]).toEqual(ref.shape);
  expect(out.dtype).toBe(dtype);
  expectClose(out.data, ref.data, 0, 0);
}

/** Builds the reference output of `shape` by reading each element from a function of its multi-index. */
function build(shape: number[], read: (idx: number[]) => number): Ref {
  return { shape, data: allIndices(shape).map(read) };
}

const tensorCase = (shape = shapeArb()) => refArb(shape).chain((a) => fc.record({ a: fc.constant(a), dtype: dtypeArb }));


describe('reshape', () => {
  /** A random shape with the same number of elements (prime factors dealt into up to 4 groups), maybe with a -1. */
  const reshapeCase = tensorCase().chain(({ a, dtype }) => {
    const factors = primeFactors(numel(a.shape));
    return fc
      .record({
        rank: fc.integer({ min: factors.length === 0 ? 0 : 1, max: 4 }),
        deal: fc.array(fc.nat(), { minLength: factors.length, maxLength: factors.length }),
        infer: fc.option(fc.nat(), { nil: undefined }),
      })
      .map(({ rank, deal, infer }) => {
        const target = new Array<number>(rank).fill(1);
        factors.forEach((f, i) => (target[deal[i]! % rank] = target[deal[i]! % rank]! * f));
        const arg = target.slice();
        if (infer !== undefined && rank > 0) arg[infer % rank] = -1;
        return { a, dtype, target, arg };
      });
  });

  it('keeps the row-major data, infers one -1, and shares storage', () => {
    fc.assert(
      fc.property(reshapeCase, ({ a, dtype, target, arg }) => {
        const x = toTensor(a, dtype);
        const y = reshape(x, arg);
        checkTensor(y, { shape: target, data: refOf(x).data }, dtype);
        expect(y.data).toBe(x.data);
      }),
      runs(100),
    );
  });

  it('examples', () => {
    const x = tensor([1, 2, 3, 4, 5, 6]);
    expect(reshape(x, [2, 3]).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(reshape(x, [-1, 2]).shape).toEqual([3, 2]);
    expect(reshape(x, [1, -1, 1]).shape).toEqual([1, 6, 1]);
    expect(reshape(scalar(3), [1, 1]).shape).toEqual([1, 1]);
    expect(reshape(tensor([[3]]), []).shape).toEqual([]);
    expect(reshape(tensor([[3]]), [-1]).shape).toEqual([1]);
  });
});

describe('permute / transpose', () => {
  const permCase = tensorCase().chain(({ a, dtype }) => {
    const nd = a.shape.length;
    const all = Array.from({ length: nd }, (_, i) => i);
    return fc
      .tuple(fc.shuffledSubarray(all, { minLength: nd, maxLength: nd }), fc.array(fc.boolean(), { minLength: nd, maxLength: nd }))
      .map(([perm, negs]) => ({ a, dtype, perm, arg: perm.map((p, i) => (negs[i]! ? p - nd : p)) }));
  });

  it('permute: out[i0..] = x[index with axis perm[k] set to i_k]', () => {
    fc.assert(
      fc.property(permCase, ({ a, dtype, perm, arg }) => {
        const x = toTensor(a, dtype);
        const xr = refOf(x);
        const outShape = perm.map((p) => a.shape[p]!);
        const ref = build(outShape, (idx) => {
          const src = new Array<number>(perm.length);
          perm.forEach((p, k) => (src[p] = idx[k]!));
          return xr.data[ravel(src, a.shape)]!;
        });
        checkTensor(permute(x, arg), ref, dtype);
        // Undone by the inverse permutation.
        checkTensor(permute(permute(x, perm), inversePerm(perm)), xr, dtype);
      }),
      runs(100),
    );
  });

  it('transpose swaps two axes (default the last two)', () => {
    const caseArb = tensorCase(shapeArb(1, 4)).chain(({ a, dtype }) => {
      const nd = a.shape.length;
      const ax = fc.integer({ min: -nd, max: nd - 1 });
      return fc.record({ a: fc.constant(a), dtype: fc.constant(dtype), d0: ax, d1: ax });
    });
    fc.assert(
      fc.property(caseArb, ({ a, dtype, d0, d1 }) => {
        const x = toTensor(a, dtype);
        const xr = refOf(x);
        const nd = a.shape.length;
        const p = d0 < 0 ? d0 + nd : d0;
        const q = d1 < 0 ? d1 + nd : d1;
        const outShape = a.shape.slice();
        outShape[p] = a.shape[q]!;
        outShape[q] = a.shape[p]!;
        const ref = build(outShape, (idx) => {
          const src = idx.slice();
          src[p] = idx[q]!;
          src[q] = idx[p]!;
          return xr.data[ravel(src, a.shape)]!;
        });
        checkTensor(transpose(x, d0, d1), ref, dtype);
        if (nd >= 2) {
          const outDefault = a.shape.slice();
          outDefault[nd - 2] = a.shape[nd - 1]!;
          outDefault[nd - 1] = a.shape[nd - 2]!;
          const refDefault = build(outDefault, (idx) => {
            const src = idx.slice();
            src[nd - 2] = idx[nd - 1]!;
            src[nd - 1] = idx[nd - 2]!;
            return xr.data[ravel(src, a.shape)]!;
          });
          checkTensor(transpose(x), refDefault, dtype);
        }
      }),
      runs(80),
    );
  });

  it('examples', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(transpose(x).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(permute(x, [1, 0]).toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
    expect(permute(x, [0, 1]).toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(permute(scalar(2), []).item()).toBe(2);
    expect(inversePerm([2, 0, 1])).toEqual([1, 2, 0]);
  });
});

describe('slice', () => {
  const sliceCase = tensorCase().chain(({ a, dtype }) => {
    const specs = a.shape.map((d) =>
      fc.oneof(
        fc.constant(null),
        fc
          .tuple(fc.integer({ min: 0, max: d - 1 }), fc.integer({ min: 1, max: d }), fc.boolean(), fc.boolean())
          .filter(([s, e]) => s < e)
          .map(([s, e, negS, negE]) => ({ begin: s, end: e, arg: [negS ? s - d : s, negE && e < d ? e - d : e] as const })),
      ),
    );
    return fc.record({ a: fc.constant(a), dtype: fc.constant(dtype), specs: fc.tuple(...specs), keep: fc.nat({ max: a.shape.length }) });
  });

  it('copies x[begin:end] on every axis (null = whole axis, negative ends, trailing axes omitted)', () => {
    fc.assert(
      fc.property(sliceCase, ({ a, dtype, specs, keep }) => {
        const x = toTensor(a, dtype);
        const xr = refOf(x);
        // Only the first `keep` specs are passed: omitted trailing axes are taken whole.
        const given = specs.slice(0, keep);
        const begin = a.shape.map((_, i) => (i < keep && specs[i] ? specs[i].begin : 0));
        const end = a.shape.map((d, i) => (i < keep && specs[i] ? specs[i].end : d));
        const outShape = begin.map((b, i) => end[i]! - b);
        const ref = build(outShape, (idx) => xr.data[ravel(idx.map((v, i) => v + begin[i]!), a.shape)]!);
        const arg: SliceSpec[] = given.map((s) => (s === null ? null : s.arg));
        const y = slice(x, arg);
        checkTensor(y, ref, dtype);
        expect(y.data).not.toBe(x.data);
      }),
      runs(100),
    );
  });

  it('examples', () => {
    const x = tensor([[1, 2, 3], [4, 5, 6]]);
    expect(slice(x, [null, [1, 3]]).toArray()).toEqual([[2, 3], [5, 6]]);
    expect(slice(x, [[-1, 2]]).toArray()).toEqual([[4, 5, 6]]);
    expect(slice(x, [[0, 1], [-2, -1]]).toArray()).toEqual([[2]]);
    expect(slice(scalar(5), []).item()).toBe(5);
  });
});

describe('concat / stack', () => {
  const concatCase = shapeArb(1, 4).chain((base) => {
    const nd = base.length;
    return fc.record({
      base: fc.constant(base),
      axis: fc.integer({ min: -nd, max: nd - 1 }),
      sizes: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 3 }),
      dtypes: fc.array(dtypeArb, { minLength: 3, maxLength: 3 }),
    });
  }).chain(({ base, axis, sizes, dtypes }) => {
    const ax = axis < 0 ? axis + base.length : axis;
    const shapes = sizes.map((s) => base.map((d, i) => (i === ax ? s : d)));
    return fc.record({
      axis: fc.constant(axis),
      ax: fc.constant(ax),
      parts: fc.tuple(...shapes.map((s) => refOfShape(s))),
      dtypes: fc.constant(dtypes),
    });
  });

  it('concat joins along an axis (negative allowed); float64 wins when dtypes mix', () => {
    fc.assert(
      fc.property(concatCase, ({ axis, ax, parts, dtypes }) => {
        const xs = parts.map((p, i) => toTensor(p, dtypes[i]!));
        const dtype = xs.map((t) => t.dtype).reduce(promote);
        const refs = xs.map(refOf);
        const outShape = refs[0]!.shape.slice();
        outShape[ax] = refs.reduce((s, r) => s + r.shape[ax]!, 0);
        const ref = build(outShape, (idx) => {
          let k = idx[ax]!;
          for (const r of refs) {
            if (k < r.shape[ax]!) {
              const j = idx.slice();
              j[ax] = k;
              return r.data[ravel(j, r.shape)]!;
            }
            k -= r.shape[ax]!;
          }
          throw new Error('unreachable');
        });
        checkTensor(concat(xs, axis), ref, dtype);
      }),
      runs(100),
    );
  });

  it('stack joins equal shapes along a new axis', () => {
    const stackCase = shapeArb(0, 3).chain((shape) =>
      fc.record({
        parts: fc.array(refOfShape(shape), { minLength: 1, maxLength: 3 }),
        axis: fc.integer({ min: -(shape.length + 1), max: shape.length }),
        dtype: dtypeArb,
      }),
    );
    fc.assert(
      fc.property(stackCase, ({ parts, axis, dtype }) => {
        const xs = parts.map((p) => toTensor(p, dtype));
        const refs = xs.map(refOf);
        const shape = refs[0]!.shape;
        const ax = axis < 0 ? axis + shape.length + 1 : axis;
        const outShape = [...shape.slice(0, ax), xs.length, ...shape.slice(ax)];
        const ref = build(outShape, (idx) => {
          const j = idx.slice();
          const [k] = j.splice(ax, 1);
          return refs[k!]!.data[ravel(j, shape)]!;
        });
        checkTensor(stack(xs, axis), ref, dtype);
      }),
      runs(80),
    );
  });

  it('examples', () => {
    const a = tensor([[1, 2]]);
    const b = tensor([[3, 4], [5, 6]]);
    expect(concat([a, b]).toArray()).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect(concat([b, b], -1).toArray()).toEqual([[3, 4, 3, 4], [5, 6, 5, 6]]);
    expect(concat([a]).toArray()).toEqual([[1, 2]]);
    expect(stack([scalar(1), scalar(2)]).toFlatArray()).toEqual([1, 2]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], 1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(stack([tensor([1, 2]), tensor([3, 4])], -1).toArray()).toEqual([[1, 3], [2, 4]]);
    expect(concat([tensor([1], { dtype: 'float32' }), tensor([2], { dtype: 'float32' })]).dtype).toBe('float32');
  });
});

describe('unsqueeze / squeeze / flatten', () => {
  it('unsqueeze inserts a 1 at any position (negative counts from the end of the new shape)', () => {
    fc.assert(
      fc.property(tensorCase(shapeArb(0, 3)), fc.nat(), ({ a, dtype }, k) => {
        const nd = a.shape.length;
        const axis = (k % (2 * nd + 2)) - (nd + 1); // -(nd+1) .. nd
        const ax = axis < 0 ? axis + nd + 1 : axis;
        const x = toTensor(a, dtype);
        const y = unsqueeze(x, axis);
        checkTensor(y, { shape: [...a.shape.slice(0, ax), 1, ...a.shape.slice(ax)], data: refOf(x).data }, dtype);
        checkTensor(squeeze(y, axis), refOf(x), dtype);
      }),
      runs(60),
    );
  });

  it('squeeze removes all size-1 dimensions, or one given one', () => {
    fc.assert(
      fc.property(tensorCase(shapeArb(0, 4, 2)), ({ a, dtype }) => {
        const x = toTensor(a, dtype);
        checkTensor(squeeze(x), { shape: a.shape.filter((d) => d !== 1), data: refOf(x).data }, dtype);
        a.shape.forEach((d, i) => {
          if (d === 1) checkTensor(squeeze(x, i - a.shape.length), { shape: a.shape.filter((_, j) => j !== i), data: refOf(x).data }, dtype);
        });
      }),
      runs(60),
    );
    expect(squeeze(tensor([[[1]]])).shape).toEqual([]);
  });

  it('flatten merges axes start..end inclusive', () => {
    const caseArb = tensorCase(shapeArb(1, 4)).chain(({ a, dtype }) => {
      const nd = a.shape.length;
      return fc
        .tuple(fc.integer({ min: 0, max: nd - 1 }), fc.integer({ min: 0, max: nd - 1 }), fc.boolean(), fc.boolean())
        .filter(([s, e]) => s <= e)
        .map(([s, e, ns, ne]) => ({ a, dtype, s, e, start: ns ? s - nd : s, end: ne ? e - nd : e }));
    });
    fc.assert(
      fc.property(caseArb, ({ a, dtype, s, e, start, end }) => {
        const x = toTensor(a, dtype);
        const shape = [...a.shape.slice(0, s), numel(a.shape.slice(s, e + 1)), ...a.shape.slice(e + 1)];
        checkTensor(flatten(x, start, end), { shape, data: refOf(x).data }, dtype);
        checkTensor(flatten(x), { shape: [numel(a.shape)], data: refOf(x).data }, dtype);
      }),
      runs(60),
    );
    expect(flatten(scalar(4)).shape).toEqual([1]);
    expect(flatten(tensor([[[1, 2]], [[3, 4]]]), 1).shape).toEqual([2, 2]);
  });
});

describe('pad', () => {
  const padCase = tensorCase(shapeArb(0, 4, 3)).chain(({ a, dtype }) =>
    fc.record({
      a: fc.constant(a),
      dtype: fc.constant(dtype),
      pads: fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: 0, maxLength: a.shape.length }),
      value: fc.oneof(fc.constant(0), fc.double({ min: -5, max: 5, noNaN: true }), fc.constant(NaN)),
    }),
  );

  it('constant padding on the trailing axes', () => {
    fc.assert(
      fc.property(padCase, ({ a, dtype, pads, value }) => {
        const x = toTensor(a, dtype);
        const xr = refOf(x);
        const off = a.shape.length - pads.length;
        const before = a.shape.map((_, i) => (i < off ? 0 : pads[i - off]![0]));
        const after = a.shape.map((_, i) => (i < off ? 0 : pads[i - off]![1]));
        const outShape = a.shape.map((d, i) => d + before[i]! + after[i]!);
        const ref = build(outShape, (idx) => {
          const src = idx.map((v, i) => v - before[i]!);
          const inside = src.every((v, i) => v >= 0 && v < a.shape[i]!);
          return inside ? xr.data[ravel(src, a.shape)]! : rounder(dtype)(value);
        });
        checkTensor(value === 0 ? pad(x, pads) : pad(x, pads, value), ref, dtype);
      }),
      runs(100),
    );
  });

  it('examples', () => {
    expect(pad(tensor([[1, 2]]), [[1, 0], [0, 2]], 9).toArray()).toEqual([[9, 9, 9, 9], [1, 2, 9, 9]]);
    expect(pad(tensor([[1, 2]]), [[1, 1]]).toArray()).toEqual([[0, 1, 2, 0]]);
    expect(pad(tensor([5]), []).toFlatArray()).toEqual([5]);
  });
});

describe('expand', () => {
  it('materializes NumPy broadcasting to a target shape', () => {
    const caseArb = shapeArb(0, 4).chain((target) =>
      partnerShapeArb(target).chain((s) => fc.record({ target: fc.constant(target), a: refOfShape(s), dtype: dtypeArb })),
    );
    fc.assert(
      fc.property(caseArb, ({ target, a, dtype }) => {
        const x = toTensor(a, dtype);
        const xr = refOf(x);
        checkTensor(expand(x, target), build(target, (idx) => broadcastRead(xr, idx)), dtype);
      }),
      runs(100),
    );
  });

  it('examples', () => {
    expect(expand(tensor([[1], [2]]), [2, 3]).toArray()).toEqual([[1, 1, 1], [2, 2, 2]]);
    expect(expand(scalar(7), [2]).toFlatArray()).toEqual([7, 7]);
    expect(expand(tensor([1, 2]), [2]).toFlatArray()).toEqual([1, 2]);
  });
});

describe('shape helpers', () => {
  it('sizeOf / stridesOf agree with row-major multi-index arithmetic', () => {
    fc.assert(
      fc.property(shapeArb(), (shape) => {
        expect(sizeOf(shape)).toBe(numel(shape));
        const st = stridesOf(shape);
        expect(st.length).toBe(shape.length);
        allIndices(shape).forEach((idx, flat) => {
          expect(idx.reduce((acc, v, i) => acc + v * st[i]!, 0)).toBe(flat);
        });
      }),
      runs(40),
    );
    expect(sizeOf([])).toBe(1);
    expect(stridesOf([2, 3, 4])).toEqual([12, 4, 1]);
  });

  it('sameShape / broadcastShapes agree with the reference', () => {
    fc.assert(
      fc.property(broadcastShapesArb(2), shapeArb(), ([a, b], c) => {
        expect(broadcastShapes('op', a!, b!)).toEqual(refBroadcastShape(a!, b!));
        const r = refBroadcastShape(a!, c);
        if (r === null) expect(() => broadcastShapes('op', a!, c)).toThrow('op: shapes ');
        else expect(broadcastShapes('op', a!, c)).toEqual(r);
        expect(sameShape(a!, b!)).toBe(a!.length === b!.length && a!.every((d, i) => d === b![i]));
      }),
      runs(100),
    );
  });
});
