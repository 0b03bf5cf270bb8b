import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tensor } from '../../src/tensor/create.js';
import { gather, indices, scatterAdd } from '../../src/tensor/indexing.js';
import { IndexTensor } from '../../src/tensor/tensor.js';
import { expectClose, runs } from '../support/check.js';
import { dtypeArb, numel, refArb, refOf, rounder, shapeArb, toTensor } from '../support/reference.js';

/** A source tensor plus integer positions into it, arranged in a random index shape. */
const gatherCase = refArb(shapeArb(0, 3)).chain((a) =>
  shapeArb(0, 3).chain((idxShape) =>
    fc.record({
      a: fc.constant(a),
      idxShape: fc.constant(idxShape),
      pos: fc.array(fc.integer({ min: 0, max: numel(a.shape) - 1 }), { minLength: numel(idxShape), maxLength: numel(idxShape) }),
      dtype: dtypeArb,
    }),
  ),
);

describe('gather', () => {
  it('out[i] = x.flat[idx[i]], with the index shape, any dtype', () => {
    fc.assert(
      fc.property(gatherCase, ({ a, idxShape, pos, dtype }) => {
        const x = toTensor(a, dtype);
        const idx = indices(pos, idxShape);
        const y = gather(x, idx);
        expect([...y.shape]).toEqual(idxShape);
        expect(y.dtype).toBe(dtype);
        expectClose(y.data, pos.map((p) => refOf(x).data[p]!), 0, 0);
      }),
      runs(80),
    );
  });

  it('examples (repeats allowed)', () => {
    const x = tensor([[10, 20], [30, 40]]);
    expect(gather(x, indices([3, 0, 3], [3])).toFlatArray()).toEqual([40, 10, 40]);
    expect(gather(x, indices([1, 2], [2, 1])).toArray()).toEqual([[20], [30]]);
    expect(gather(x, indices([2], [])).toArray()).toBe(30);
  });
});

describe('scatterAdd', () => {
  it('accumulates g into a zero tensor at the given flat positions (duplicates add up)', () => {
    fc.assert(
      fc.property(gatherCase, ({ a, idxShape, pos, dtype }) => {
        const g = toTensor({ shape: idxShape, data: pos.map((_, i) => ((i * 7) % 5) - 2 + 0.25 * i) }, dtype);
        const out = scatterAdd(g, indices(pos, idxShape), a.shape);
        const ref = new Array<number>(numel(a.shape)).fill(0);
        pos.forEach((p, i) => (ref[p]! += refOf(g).data[i]!));
        expect([...out.shape]).toEqual(a.shape);
        expect(out.dtype).toBe(dtype);
        expectClose(out.data, ref.map(rounder(dtype)), 1e-12, dtype === 'float32' ? 2.5e-7 : 1e-15);
      }),
      runs(80),
    );
  });

  it('is the adjoint of gather: <gather(x, idx), g> = <x, scatterAdd(g, idx, x.shape)>', () => {
    fc.assert(
      fc.property(gatherCase, ({ a, idxShape, pos }) => {
        const x = toTensor(a);
        const idx = indices(pos, idxShape);
        const g = toTensor({ shape: idxShape, data: pos.map((p, i) => Math.sin(p + 3 * i)) });
        const lhs = gather(x, idx).toFlatArray().reduce((s, v, i) => s + v * g.data[i]!, 0);
        const rhs = scatterAdd(g, idx, a.shape).toFlatArray().reduce((s, v, i) => s + v * x.data[i]!, 0);
        expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(lhs)));
      }),
      runs(60),
    );
  });

  it('example', () => {
    const out = scatterAdd(tensor([1, 2, 3, 4]), indices([0, 2, 0, 3]), [2, 2]);
    expect(out.toArray()).toEqual([[4, 0], [2, 4]]);
  });
});

describe('indices', () => {
  it('builds an Int32 IndexTensor (default shape: a vector)', () => {
    const ix = indices([3, 1, 2]);
    expect(ix).toBeInstanceOf(IndexTensor);
    expect(ix.shape).toEqual([3]);
    expect(ix.data).toBeInstanceOf(Int32Array);
    expect(ix.toFlatArray()).toEqual([3, 1, 2]);
    expect(indices([0, 1, 2, 3], [2, 2]).toArray()).toEqual([[0, 1], [2, 3]]);
    expect(indices([5], []).shape).toEqual([]);
  });
});

describe('errors', () => {
  const x = tensor([[1, 2, 3], [4, 5, 6]]);
  it('gather / scatterAdd indices out of range', () => {
    expect(() => gather(x, indices([0, 6]))).toThrow('gather: index 6 at position 1 is out of range for source [2,3] (6 elements)');
    expect(() => gather(x, indices([-1]))).toThrow('gather: index -1 at position 0 is out of range for source [2,3] (6 elements)');
    expect(() => scatterAdd(tensor([1, 2]), indices([1, 4]), [2, 2])).toThrow('scatterAdd: index 4 at position 1 is out of range for target [2,2] (4 elements)');
    expect(() => scatterAdd(tensor([1, 2]), indices([1, 2, 3]), [4])).toThrow('scatterAdd: values [2] and indices [3] differ in size');
    expect(() => scatterAdd(tensor([1]), indices([0]), [0])).toThrow('scatterAdd: shape [0] has dimension 0 of size 0');
  });

  it('indices: non-integers and size mismatches', () => {
    expect(() => indices([1, 2.5])).toThrow('indices: value 2.5 at position 1 is not an integer');
    expect(() => indices([1, 2, 3], [2, 2])).toThrow('indices: 3 values do not fill shape [2,2]');
    expect(() => indices([])).toThrow('indices: shape [0] has dimension 0 of size 0');
  });
});
