import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scalar, tensor } from '../../src/tensor/create.js';
import { promote, type DType } from '../../src/tensor/dtype.js';
import {
  add, div, eq, ge, gt, le, lt, maximum, minimum, mul, ne, pow, sub, where, type Operand,
} from '../../src/tensor/elementwise.js';
import { broadcastStrides, collapse } from '../../src/tensor/broadcast.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, runs } from '../support/check.js';
import {
  allIndices, broadcastRefsArb, broadcastShapesArb, dtypeArb, ravel, refArb, refBroadcastShape, refMap, refOf, shapeArb,
  toTensor, unravel, type Ref,
} from '../support/reference.js';

type BinaryOp = (a: Operand, b: Operand) => Tensor;

/** Each op with an obviously-correct scalar definition (no NaN tricks: written out long-hand). */
const OPS: readonly { name: string; op: BinaryOp; f: (x: number, y: number) => number }[] = [
  { name: 'add', op: add, f: (x, y) => x + y },
  { name: 'sub', op: sub, f: (x, y) => x - y },
  { name: 'mul', op: mul, f: (x, y) => x * y },
  { name: 'div', op: div, f: (x, y) => x / y },
  { name: 'pow', op: pow, f: (x, y) => Math.pow(x, y) },
  {
    name: 'maximum', op: maximum,
    f: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x >= y ? x : y),
  },
  {
    name: 'minimum', op: minimum,
    f: (x, y) => (Number.isNaN(x) || Number.isNaN(y) ? NaN : x <= y ? x : y),
  },
  { name: 'gt', op: gt, f: (x, y) => (x > y ? 1 : 0) },
  { name: 'ge', op: ge, f: (x, y) => (x >= y ? 1 : 0) },
  { name: 'lt', op: lt, f: (x, y) => (x < y ? 1 : 0) },
  { name: 'le', op: le, f: (x, y) => (x <= y ? 1 : 0) },
  { name: 'eq', op: eq, f: (x, y) => (x === y ? 1 : 0) },
  { name: 'ne', op: ne, f: (x, y) => (x === y ? 0 : 1) },
];

function check(out: Tensor, ref: Ref, dtype: DType): void {
  expect([...out.shape]).toEqual(ref.shape);
  expect(out.dtype).toBe(dtype);
  expectClose(out.data, ref.data, 0, 0);
}

describe.each(OPS)('$name', ({ name, op, f }) => {
  it('matches the index-by-index reference under NumPy broadcasting, in both dtypes and mixed', () => {
    fc.assert(
      fc.property(broadcastRefsArb(2, { ties: true }), dtypeArb, dtypeArb, ([a, b], da, db) => {
        const x = toTensor(a!, da);
        const y = toTensor(b!, db);
        const dtype = promote(da, db);
        // The reference reads the values the tensors actually hold (float32-rounded).
        check(op(x, y), refMap([refOf(x), refOf(y)], f, dtype), dtype);
      }),
      runs(60),
    );
  });

  it('takes numbers on either side, in the tensor dtype (both numbers: a float64 scalar)', () => {
    fc.assert(
      fc.property(refArb(), dtypeArb, fc.double({ min: -4, max: 4, noNaN: true }), (a, dtype, c) => {
        const x = toTensor(a, dtype);
        const r = dtype === 'float32' ? Math.fround : (v: number) => v;
        const cRef: Ref = { shape: [], data: [r(c)] };
        check(op(x, c), refMap([refOf(x), cRef], f, dtype), dtype);
        check(op(c, x), refMap([cRef, refOf(x)], f, dtype), dtype);
      }),
      runs(30),
    );
    const s = op(3, 2);
    expect(s.shape).toEqual([]);
    expect(s.dtype).toBe('float64');
    expect(s.item()).toBe(f(3, 2));
  });

  it('does not modify its inputs', () => {
    const x = tensor([[1, -2, 3]]);
    const y = tensor([[0.5], [2]]);
    op(x, y);
    expect(x.toFlatArray()).toEqual([1, -2, 3]);
    expect(y.toFlatArray()).toEqual([0.5, 2]);
  });

  it('names itself and both shapes when shapes do not broadcast', () => {
    expect(() => op(tensor([[1, 2, 3], [4, 5, 6]]), tensor([1, 2, 3, 4]))).toThrow(
      `${name}: shapes [2,3] and [4] cannot be broadcast (dimension -1 is 3 vs 4)`,
    );
    expect(() => op(tensor([[[1], [2], [3]], [[4], [5], [6]]]), tensor([[1], [2], [3], [4]]))).toThrow(
      `${name}: shapes [2,3,1] and [4,1] cannot be broadcast (dimension -2 is 3 vs 4)`,
    );
    expect(() => op(tensor([1, 2]), 'x' as never)).toThrow(`${name}: operands must be tensors or numbers, got object and string`);
  });
});

describe('broadcasting corner cases', () => {
  it('rank-0 with rank-4, size-1 everywhere, and shapes equal after broadcasting', () => {
    const a = tensor([[[[1, 2]]]]); // [1,1,1,2]
    expect(add(a, scalar(10)).toArray()).toEqual([[[[11, 12]]]]);
    expect(add(tensor([[5]]), tensor([1, 2, 3])).toArray()).toEqual([[6, 7, 8]]);
    expect(add(tensor([1, 2, 3]), tensor([[1, 2, 3]])).shape).toEqual([1, 3]);
    expect(mul(tensor([[1], [2]]), tensor([[1, 10, 100]])).toArray()).toEqual([[1, 10, 100], [2, 20, 200]]);
    expect(sub(tensor([[[1]]]), tensor([[2]])).shape).toEqual([1, 1, 1]);
  });

  it('IEEE semantics: division by zero, 0/0, pow edge cases', () => {
    expect(div(tensor([1, -1, 0]), 0).toFlatArray()).toEqual([Infinity, -Infinity, NaN]);
    expect(pow(tensor([0, -8, 4, -1]), tensor([0, 1 / 3, 0.5, Infinity])).toFlatArray()).toEqual([1, NaN, 2, NaN]);
    expect(pow(2, tensor([-1, 10])).toFlatArray()).toEqual([0.5, 1024]);
  });

  it('comparisons with NaN are false except ne', () => {
    const x = tensor([NaN, 1]);
    const y = tensor([NaN, NaN]);
    for (const op of [gt, ge, lt, le, eq]) expect(op(x, y).toFlatArray()).toEqual([0, 0]);
    expect(ne(x, y).toFlatArray()).toEqual([1, 1]);
  });

  it('float32 results round every element once', () => {
    const x = tensor([0.1, 0.2], { dtype: 'float32' });
    const y = add(x, 0.7);
    expect(y.dtype).toBe('float32');
    expect(y.toFlatArray()).toEqual([Math.fround(Math.fround(0.1) + Math.fround(0.7)), Math.fround(Math.fround(0.2) + Math.fround(0.7))]);
    const z = add(x, tensor([0.7]));
    expect(z.dtype).toBe('float64');
    expect(z.toFlatArray()).toEqual([Math.fround(0.1) + 0.7, Math.fround(0.2) + 0.7]);
  });
});

describe('maximum / minimum: NaN propagates from either side', () => {
  it('examples', () => {
    expect(maximum(tensor([NaN, 1, 2]), tensor([1, NaN, 3])).toFlatArray()).toEqual([NaN, NaN, 3]);
    expect(minimum(tensor([NaN, 1, 2]), tensor([1, NaN, 3])).toFlatArray()).toEqual([NaN, NaN, 2]);
    expect(maximum(tensor([NaN, -Infinity]), Infinity).toFlatArray()).toEqual([NaN, Infinity]);
    expect(minimum(NaN, tensor([1, 2])).toFlatArray()).toEqual([NaN, NaN]);
  });

  it('property: with NaNs sprinkled in, broadcasting', () => {
    const withNaN = (r: Ref, mask: boolean[]): Ref => ({ shape: r.shape, data: r.data.map((v, i) => (mask[i % mask.length] ? NaN : v)) });
    fc.assert(
      fc.property(broadcastRefsArb(2), fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 5 }), dtypeArb, ([a, b], ma, mb, dtype) => {
        const x = toTensor(withNaN(a!, ma), dtype);
        const y = toTensor(withNaN(b!, mb), dtype);
        for (const { op, f } of OPS.filter((o) => o.name === 'maximum' || o.name === 'minimum')) {
          check(op(x, y), refMap([refOf(x), refOf(y)], f, dtype), dtype);
        }
      }),
      runs(40),
    );
  });
});

describe('where', () => {
  const select = (c: number, x: number, y: number): number => (c !== 0 ? x : y);

  it('selects with three-way NumPy broadcasting, in both dtypes', () => {
    fc.assert(
      fc.property(broadcastRefsArb(3), fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 9 }), dtypeArb, dtypeArb, ([c, a, b], pattern, da, db) => {
        // A condition of 0s and non-zeros (including negatives and fractions).
        const cond = tensor(c!.data.map((_, i) => [0, 1, -0.5][pattern[i % pattern.length]!]!), { shape: c!.shape });
        const x = toTensor(a!, da);
        const y = toTensor(b!, db);
        const dtype = promote(da, db);
        check(where(cond, x, y), refMap([refOf(cond), refOf(x), refOf(y)], select, dtype), dtype);
      }),
      runs(60),
    );
  });

  it('is a true select: NaN and Infinity in the unchosen branch never leak', () => {
    fc.assert(
      fc.property(broadcastRefsArb(3), fc.constantFrom(NaN, Infinity, -Infinity), dtypeArb, ([c, a, b], bad, dtype) => {
        const cond = tensor(c!.data.map((v, i) => (v > 0 || i % 3 === 0 ? 1 : 0)), { shape: c!.shape });
        const poison = tensor(b!.data.map(() => bad), { shape: b!.shape, dtype });
        const x = toTensor(a!, dtype);
        // Where cond is 1 we must see x exactly, and poison only where cond is 0.
        const r1 = where(cond, x, poison);
        check(r1, refMap([refOf(cond), refOf(x), refOf(poison)], select, dtype), dtype);
        const r2 = where(cond, poison, x);
        check(r2, refMap([refOf(cond), refOf(poison), refOf(x)], select, dtype), dtype);
      }),
      runs(40),
    );
    const r = where(tensor([1, 0, 1]), tensor([1, 2, 3]), tensor([NaN, 5, Infinity]));
    expect(r.toFlatArray()).toEqual([1, 5, 3]);
    const s = where(tensor([0, 1]), div(tensor([1, 1]), tensor([0, 1])), 0);
    expect(s.toFlatArray()).toEqual([0, 1]);
  });

  it('accepts numbers for either branch, any condition dtype, and a NaN condition counts as true', () => {
    const cond = tensor([1, 0, 0, 2], { dtype: 'float32' });
    expect(where(cond, 7, tensor([1, 2, 3, 4])).toFlatArray()).toEqual([7, 2, 3, 7]);
    expect(where(cond, tensor([[1], [2]]), -1).toArray()).toEqual([[1, -1, -1, 1], [2, -1, -1, 2]]);
    const both = where(tensor([1, 0]), 3, 4);
    expect(both.dtype).toBe('float64');
    expect(both.toFlatArray()).toEqual([3, 4]);
    expect(where(tensor([NaN]), 1, 2).toFlatArray()).toEqual([1]);
    expect(where(scalar(0), tensor([1, 2]), tensor([[3], [4]])).toArray()).toEqual([[3, 3], [4, 4]]);
  });

  it('result shape and dtype', () => {
    fc.assert(
      fc.property(shapeArb(0, 3), dtypeArb, (shape, dtype) => {
        const x = tensor(new Array<number>(shape.reduce((p, d) => p * d, 1)).fill(1), { shape, dtype });
        const r = where(x, x, 0);
        expect([...r.shape]).toEqual(shape);
        expect(r.dtype).toBe(dtype);
      }),
      runs(20),
    );
  });

  it('errors name where and the shapes', () => {
    expect(() => where(tensor([1, 0, 1]), tensor([1, 2]), 0)).toThrow('where: shapes [3] and [2] cannot be broadcast (dimension -1 is 3 vs 2)');
    expect(() => where(tensor([1, 0]), tensor([1, 2]), tensor([1, 2, 3]))).toThrow('where: shapes [2] and [3] cannot be broadcast (dimension -1 is 2 vs 3)');
    expect(() => where(1 as never, 1, 2)).toThrow('where: condition must be a tensor');
  });
});

describe('broadcast helpers', () => {
  it('broadcastStrides address the element broadcasting reads; collapse keeps every offset', () => {
    fc.assert(
      fc.property(broadcastShapesArb(2), ([a, b]) => {
        const out = refBroadcastShape(a!, b!)!;
        const sa = broadcastStrides(a!, out);
        const sb = broadcastStrides(b!, out);
        const offA: number[] = [];
        const offB: number[] = [];
        for (const idx of allIndices(out)) {
          const oa = idx.reduce((acc, v, i) => acc + v * sa[i]!, 0);
          const ob = idx.reduce((acc, v, i) => acc + v * sb[i]!, 0);
          const off = out.length - a!.length;
          expect(oa).toBe(ravel(a!.map((d, i) => (d === 1 ? 0 : idx[off + i]!)), a!));
          expect(ob).toBe(ravel(b!.map((d, i) => (d === 1 ? 0 : idx[out.length - b!.length + i]!)), b!));
          offA.push(oa);
          offB.push(ob);
        }
        // The collapsed description enumerates the same offsets in the same order.
        const c = collapse(out, sa, sb);
        expect(c.dims.reduce((p, d) => p * d, 1)).toBe(offA.length);
        const n = c.dims.reduce((p, d) => p * d, 1);
        for (let f = 0; f < n; f++) {
          const idx = unravel(f, c.dims);
          expect(idx.reduce((acc, v, i) => acc + v * c.sa[i]!, 0)).toBe(offA[f]);
          expect(idx.reduce((acc, v, i) => acc + v * c.sb[i]!, 0)).toBe(offB[f]);
        }
      }),
      runs(100),
    );
  });
});
