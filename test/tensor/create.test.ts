import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arange, cast, clone, eye, full, fullLike, linspace, ones, rand, randn, scalar, tensor, zeros, zerosLike,
} from '../../src/tensor/create.js';
import { DTYPES, allocate, dtypeOf, isDType, promote, type DType } from '../../src/tensor/dtype.js';
import { Rng } from '../../src/tensor/rng.js';
import { IndexTensor, Tensor } from '../../src/tensor/tensor.js';
import { expectClose, runs } from '../support/check.js';
import { allIndices, dtypeArb, nestRef, numel, ravel, refArb, rounder, shapeArb } from '../support/reference.js';

function arrayClass(dtype: DType): typeof Float32Array | typeof Float64Array {
  return dtype === 'float32' ? Float32Array : Float64Array;
}

describe('zeros / ones / full / scalar', () => {
  it('fill every element of any shape with the value, in the requested dtype', () => {
    fc.assert(
      fc.property(shapeArb(), dtypeArb, fc.double({ noNaN: false }), (shape, dtype, value) => {
        const r = rounder(dtype);
        for (const [t, v] of [
          [zeros(shape, { dtype }), 0],
          [ones(shape, { dtype }), 1],
          [full(shape, value, { dtype }), r(value)],
        ] as const) {
          expect([...t.shape]).toEqual(shape);
          expect(t.dtype).toBe(dtype);
          expect(t.data).toBeInstanceOf(arrayClass(dtype));
          expect(t.size).toBe(numel(shape));
          expect(t.ndim).toBe(shape.length);
          expectClose(t.data, new Array<number>(numel(shape)).fill(v), 0, 0);
        }
      }),
      runs(80),
    );
  });

  it('default to float64', () => {
    expect(zeros([2]).dtype).toBe('float64');
    expect(ones([2]).dtype).toBe('float64');
    expect(full([2], 3).dtype).toBe('float64');
    expect(scalar(3).dtype).toBe('float64');
  });

  it('scalar makes a 0-d tensor', () => {
    const s = scalar(2.5);
    expect(s.shape).toEqual([]);
    expect(s.ndim).toBe(0);
    expect(s.size).toBe(1);
    expect(s.item()).toBe(2.5);
    expect(s.toArray()).toBe(2.5);
    expect(scalar(0.1, { dtype: 'float32' }).item()).toBe(Math.fround(0.1));
  });

  it('zerosLike / fullLike keep shape and dtype', () => {
    const x = full([2, 3], 7, { dtype: 'float32' });
    const z = zerosLike(x);
    expect(z.shape).toEqual([2, 3]);
    expect(z.dtype).toBe('float32');
    expect(z.toFlatArray()).toEqual([0, 0, 0, 0, 0, 0]);
    const f = fullLike(x, 0.1);
    expect(f.dtype).toBe('float32');
    expect(f.toFlatArray()).toEqual(new Array<number>(6).fill(Math.fround(0.1)));
  });

  it('full accepts NaN and infinities', () => {
    expect(Number.isNaN(full([2], NaN).data[1])).toBe(true);
    expect(full([1], -Infinity, { dtype: 'float32' }).item()).toBe(-Infinity);
  });
});

describe('tensor', () => {
  it('builds from nested arrays and round-trips through toArray / toFlatArray', () => {
    fc.assert(
      fc.property(refArb(), dtypeArb, ({ shape, data }, dtype) => {
        const r = rounder(dtype);
        const nested = nestRef(data, shape) as number;
        const t = tensor(nested, { dtype });
        expect([...t.shape]).toEqual(shape);
        expect(t.dtype).toBe(dtype);
        expectClose(t.data, data.map(r), 0, 0);
        expect(t.toArray()).toEqual(nestRef(data.map(r), shape));
        expect(t.toFlatArray()).toEqual(data.map(r));
      }),
      runs(80),
    );
  });

  it('builds from flat values plus a shape (arrays, typed arrays, nested input flattened)', () => {
    fc.assert(
      fc.property(refArb(), dtypeArb, ({ shape, data }, dtype) => {
        const r = rounder(dtype);
        for (const values of [data, Float64Array.from(data)]) {
          const t = tensor(values, { shape, dtype });
          expect([...t.shape]).toEqual(shape);
          expectClose(t.data, data.map(r), 0, 0);
        }
        // Nested input with an explicit shape is read in row-major order.
        const t2 = tensor(nestRef(data, shape) as number, { shape: [numel(shape)], dtype });
        expectClose(t2.data, data.map(r), 0, 0);
      }),
      runs(60),
    );
  });

  it('takes a number as a 0-d tensor and a typed array as a vector', () => {
    const s = tensor(4);
    expect(s.shape).toEqual([]);
    expect(s.item()).toBe(4);
    const v = tensor(Float32Array.of(1, 2, 3));
    expect(v.shape).toEqual([3]);
    expect(v.dtype).toBe('float64');
    expect(v.toFlatArray()).toEqual([1, 2, 3]);
    expect(tensor([[1, 2], [3, 4]]).toArray()).toEqual([[1, 2], [3, 4]]);
    expect(tensor(5, { shape: [1, 1] }).toArray()).toEqual([[5]]);
  });

  it('copies its input (later changes to the source do not show)', () => {
    const src = [1, 2, 3];
    const t = tensor(src);
    src[0] = 99;
    expect(t.toFlatArray()).toEqual([1, 2, 3]);
    const typed = Float64Array.of(1, 2);
    const u = tensor(typed, { shape: [2] });
    typed[0] = 99;
    expect(u.toFlatArray()).toEqual([1, 2]);
  });

  it('rejects ragged nested arrays, naming the element', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow('tensor: nested array is ragged: element [1] has length 1, expected 2');
    expect(() => tensor([[1, 2], 3] as never)).toThrow('tensor: nested array is ragged at [1]');
    expect(() => tensor([1, [2, 3]] as never)).toThrow('tensor: nested array is ragged: element [1] is an array where a number was expected');
    expect(() => tensor([[[1], [2]], [[3], [4, 5]]])).toThrow('tensor: nested array is ragged: element [1][1] has length 2, expected 1');
  });

  it('rejects non-numbers, empty input and bad flat sizes', () => {
    expect(() => tensor(['a'] as never)).toThrow('tensor: value at [0] is not a number: a');
    expect(() => tensor([])).toThrow('tensor: shape [0] has dimension 0 of size 0; sizes must be >= 1 (empty tensors are not supported)');
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow('tensor: 3 values do not fill shape [2,2] (4 elements)');
    expect(() => tensor([1], { dtype: 'int32' as DType })).toThrow("tensor: unknown dtype int32 (use 'float64' or 'float32')");
  });
});

describe('arange', () => {
  /** Reference: start + i·step while it stays on the start side of stop. */
  function refArange(start: number, stop: number, step: number): number[] {
    const out: number[] = [];
    for (let i = 0; ; i++) {
      const v = start + i * step;
      if (step > 0 ? v >= stop : v <= stop) break;
      out.push(v);
    }
    return out;
  }

  it('matches the reference for integer start/stop/step in both directions', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -20, max: 20 }), fc.integer({ min: -20, max: 20 }), fc.integer({ min: -5, max: 5 }), dtypeArb,
        (start, stop, step, dtype) => {
          fc.pre(step !== 0 && (stop - start) * step > 0);
          const t = arange(start, stop, step, { dtype });
          expect(t.dtype).toBe(dtype);
          expect(t.toFlatArray()).toEqual(refArange(start, stop, step));
        },
      ),
      runs(100),
    );
  });

  it('handles the one-argument form and fractional steps', () => {
    expect(arange(5).toFlatArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(2, 8, 2).toFlatArray()).toEqual([2, 4, 6]);
    expect(arange(5, 0, -2).toFlatArray()).toEqual([5, 3, 1]);
    expect(arange(0, 1, 0.25).toFlatArray()).toEqual([0, 0.25, 0.5, 0.75]);
    expect(arange(0, 1, 0.3).toFlatArray()).toEqual([0, 0.3, 0.6, 0.8999999999999999]);
    expect(arange(0, 1, 0.1, { dtype: 'float32' }).data).toEqual(Float32Array.from(refArange(0, 1, 0.1)));
  });

  it('rejects empty ranges and bad steps', () => {
    expect(() => arange(3, 3)).toThrow('arange: range start=3 stop=3 step=1 is empty');
    expect(() => arange(0)).toThrow('arange: range start=0 stop=0 step=1 is empty');
    expect(() => arange(0, 5, -1)).toThrow('arange: range start=0 stop=5 step=-1 is empty');
    expect(() => arange(0, 5, 0)).toThrow('arange: step must be finite and non-zero, got 0');
    expect(() => arange(0, 5, Infinity)).toThrow('arange: step must be finite and non-zero, got Infinity');
  });
});

describe('linspace', () => {
  it('gives n evenly spaced values from start to stop inclusive', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -100, max: 100, noNaN: true }), fc.double({ min: -100, max: 100, noNaN: true }), fc.integer({ min: 1, max: 12 }), dtypeArb,
        (start, stop, n, dtype) => {
          const r = rounder(dtype);
          const t = linspace(start, stop, n, { dtype });
          expect(t.shape).toEqual([n]);
          const ref = Array.from({ length: n }, (_, i) => r(n === 1 ? start : start + (i * (stop - start)) / (n - 1)));
          expectClose(t.data, ref, 1e-13, dtype === 'float32' ? 1e-7 : 1e-15);
          expect(t.data[0]).toBe(r(start));
          if (n > 1) expect(t.data[n - 1]).toBe(r(stop));
        },
      ),
      runs(100),
    );
  });

  it('examples', () => {
    expect(linspace(0, 1, 5).toFlatArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(2, -2, 3).toFlatArray()).toEqual([2, 0, -2]);
    expect(linspace(7, 9, 1).toFlatArray()).toEqual([7]);
  });

  it('rejects a bad count', () => {
    expect(() => linspace(0, 1, 0)).toThrow('linspace: count must be a positive integer, got 0');
    expect(() => linspace(0, 1, 2.5)).toThrow('linspace: count must be a positive integer, got 2.5');
  });
});

describe('eye', () => {
  it('is 1 on the diagonal and 0 elsewhere, square or rectangular', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }), dtypeArb, (n, m, dtype) => {
        const t = m === undefined ? eye(n, undefined, { dtype }) : eye(n, m, { dtype });
        const cols = m ?? n;
        expect(t.shape).toEqual([n, cols]);
        expect(t.dtype).toBe(dtype);
        const ref = allIndices([n, cols]).map(([i, j]) => (i === j ? 1 : 0));
        expect(t.toFlatArray()).toEqual(ref);
      }),
      runs(40),
    );
  });

  it('rejects bad sizes', () => {
    expect(() => eye(0)).toThrow('eye: shape [0,0] has dimension 0 of size 0');
    expect(() => eye(2, 1.5)).toThrow('eye: shape [2,1.5] has a non-integer dimension 1 (1.5)');
  });
});

describe('rand / randn', () => {
  it('rand draws lo + (hi − lo)·u from the generator, in order, in [lo, hi)', () => {
    fc.assert(
      fc.property(shapeArb(), dtypeArb, fc.integer(), fc.double({ min: -10, max: 10, noNaN: true }), fc.double({ min: 0.001, max: 10, noNaN: true }), (shape, dtype, seed, lo, width) => {
        const hi = lo + width;
        fc.pre(hi > lo);
        const r = rounder(dtype);
        const t = rand(shape, { rng: seed, dtype, low: lo, high: hi });
        expect([...t.shape]).toEqual(shape);
        expect(t.dtype).toBe(dtype);
        const g = new Rng(seed);
        const draw = (): number => {
          let v = r(lo + (hi - lo) * g.uniform());
          while (v >= hi) v = r(lo + (hi - lo) * g.uniform()); // a sample that rounded up to hi is redrawn
          return v;
        };
        expectClose(t.data, Array.from({ length: numel(shape) }, draw), 0, 0);
        for (const v of t.data) {
          expect(v).toBeGreaterThanOrEqual(r(lo));
          expect(v).toBeLessThan(hi);
        }
      }),
      runs(60),
    );
  });

  it('rand defaults to [0, 1) and advances a passed generator', () => {
    const g = new Rng(7);
    const a = rand([3], { rng: g });
    const b = rand([3], { rng: g });
    expect(a.toFlatArray()).not.toEqual(b.toFlatArray());
    const h = new Rng(7);
    expect(a.toFlatArray()).toEqual([h.uniform(), h.uniform(), h.uniform()]);
    expect(b.toFlatArray()).toEqual([h.uniform(), h.uniform(), h.uniform()]);
    // A numeric seed is the same as a fresh generator with that seed.
    expect(rand([4], { rng: 7 }).toFlatArray()).toEqual(rand([4], { rng: new Rng(7) }).toFlatArray());
  });

  it('rand never returns high, even when lo + (hi − lo)·u rounds up to it', () => {
    // A generator whose uniform() sits just below 1: 1 − 2^-53 becomes 1 in float32 and 2 in [1, 2).
    class NearOne extends Rng {
      n = 0;
      override uniform(): number {
        return this.n++ % 2 === 0 ? 1 - 2 ** -53 : 0.5;
      }
    }
    const t32 = rand([4], { rng: new NearOne(0), dtype: 'float32' });
    expect(t32.toFlatArray()).toEqual([0.5, 0.5, 0.5, 0.5]);
    const t64 = rand([2], { rng: new NearOne(0), low: 1, high: 2 });
    expect(t64.toFlatArray()).toEqual([1.5, 1.5]);
    expect(() => rand([2], { rng: 1, dtype: 'float32', low: 1 - 1e-12, high: 1 })).toThrow('rand: no float32 value lies in [0.999999999999, 1)');
  });

  it('randn draws mean + std·z from the generator, in order', () => {
    fc.assert(
      fc.property(shapeArb(), dtypeArb, fc.integer(), fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: 0, max: 5, noNaN: true }), (shape, dtype, seed, mean, std) => {
        const r = rounder(dtype);
        const t = randn(shape, { rng: seed, dtype, mean, std });
        expect([...t.shape]).toEqual(shape);
        expect(t.dtype).toBe(dtype);
        const g = new Rng(seed);
        expectClose(t.data, Array.from({ length: numel(shape) }, () => r(mean + std * g.normal())), 0, 0);
      }),
      runs(60),
    );
  });

  it('randn defaults to N(0, 1)', () => {
    const g = new Rng(3);
    expect(randn([5], { rng: 3 }).toFlatArray()).toEqual(Array.from({ length: 5 }, () => g.normal()));
  });

  it('reject bad parameters', () => {
    expect(() => rand([2], { rng: 1, low: 1, high: 1 })).toThrow('rand: high (1) must exceed low (1)');
    expect(() => randn([2], { rng: 1, std: -1 })).toThrow('randn: std must be >= 0, got -1');
    expect(() => rand([0], { rng: 1 })).toThrow('rand: shape [0] has dimension 0 of size 0');
    expect(() => randn([2, 1.5], { rng: 1 })).toThrow('randn: shape [2,1.5] has a non-integer dimension 1 (1.5)');
  });
});

describe('cast / clone', () => {
  it('cast rounds to float32 and widens exactly to float64', () => {
    fc.assert(
      fc.property(refArb(), ({ shape, data }) => {
        const x = tensor(data, { shape });
        const y = cast(x, 'float32');
        expect(y.dtype).toBe('float32');
        expect([...y.shape]).toEqual(shape);
        expectClose(y.data, data.map(Math.fround), 0, 0);
        const z = cast(y, 'float64');
        expect(z.dtype).toBe('float64');
        expect(z.data).toBeInstanceOf(Float64Array);
        expectClose(z.data, data.map(Math.fround), 0, 0);
      }),
      runs(40),
    );
  });

  it('cast to the same dtype returns the tensor itself', () => {
    const x = tensor([1, 2]);
    expect(cast(x, 'float64')).toBe(x);
  });

  it('clone copies the data into fresh storage', () => {
    fc.assert(
      fc.property(refArb(), dtypeArb, (ref, dtype) => {
        const x = tensor(ref.data, { shape: ref.shape, dtype });
        const y = clone(x);
        expect(y).not.toBe(x);
        expect(y.data).not.toBe(x.data);
        expect(y.dtype).toBe(dtype);
        expect([...y.shape]).toEqual(ref.shape);
        expectClose(y.data, x.data, 0, 0);
        y.data[0] = 12345;
        expect(x.data[0]).toBe(rounder(dtype)(ref.data[0]!));
      }),
      runs(30),
    );
  });
});

describe('Tensor', () => {
  it('get reads by multi-index, with negative indices counting from the end', () => {
    fc.assert(
      fc.property(refArb(shapeArb(0, 4)), fc.boolean(), ({ shape, data }, negative) => {
        const t = tensor(data, { shape });
        for (const idx of allIndices(shape)) {
          const arg = negative ? idx.map((k, i) => k - shape[i]!) : idx;
          expect(t.get(...arg)).toBe(data[ravel(idx, shape)]);
        }
      }),
      runs(40),
    );
  });

  it('item reads the single element of any one-element tensor', () => {
    expect(tensor([[3]]).item()).toBe(3);
    expect(scalar(-1).item()).toBe(-1);
    expect(() => tensor([1, 2]).item()).toThrow('item: tensor of shape [2] has 2 elements, not 1');
    expect(() => zeros([2, 3]).item()).toThrow('item: tensor of shape [2,3] has 6 elements, not 1');
  });

  it('get rejects bad indices', () => {
    const t = zeros([2, 3]);
    expect(() => t.get(0)).toThrow('get: index [0] has 1 entries for shape [2,3]');
    expect(() => t.get(2, 0)).toThrow('get: index [2,0] is out of range for shape [2,3]');
    expect(() => t.get(0, -4)).toThrow('get: index [0,-4] is out of range for shape [2,3]');
    expect(() => t.get(0, 0.5)).toThrow('get: index [0,0.5] is out of range for shape [2,3]');
  });

  it('constructor checks the shape and the data length, and freezes a copy of the shape', () => {
    const shape = [2, 2];
    const t = new Tensor(new Float32Array(4), shape);
    shape[0] = 7;
    expect(t.shape).toEqual([2, 2]);
    expect(Object.isFrozen(t.shape)).toBe(true);
    expect(t.dtype).toBe('float32');
    expect(t.requiresGrad).toBe(false);
    expect(t.node).toBeNull();
    expect(t.grad).toBeNull();
    expect(String(t)).toBe('Tensor([2,2], float32)');
    expect(() => new Tensor(new Float64Array(3), [2, 2])).toThrow('Tensor: shape [2,2] needs 4 elements but the data holds 3');
    expect(() => new Tensor(new Float64Array(1), [-1])).toThrow('Tensor: shape [-1] has dimension 0 of size -1');
  });

  it('IndexTensor holds int32 positions with the same accessors', () => {
    const ix = new IndexTensor(Int32Array.of(0, 5, 2, 1), [2, 2]);
    expect(ix.size).toBe(4);
    expect(ix.shape).toEqual([2, 2]);
    expect(ix.toFlatArray()).toEqual([0, 5, 2, 1]);
    expect(ix.toArray()).toEqual([[0, 5], [2, 1]]);
    expect(new IndexTensor(Int32Array.of(3), []).toArray()).toBe(3);
    expect(() => new IndexTensor(Int32Array.of(1, 2), [3])).toThrow('IndexTensor: shape [3] needs 3 elements but the data holds 2');
  });
});

describe('dtype helpers', () => {
  it('allocate / dtypeOf / isDType / promote', () => {
    expect(DTYPES).toEqual(['float64', 'float32']);
    expect(allocate('float32', 3)).toBeInstanceOf(Float32Array);
    expect(allocate('float64', 3)).toBeInstanceOf(Float64Array);
    expect(allocate('float64', 3).length).toBe(3);
    expect(dtypeOf(new Float32Array(1))).toBe('float32');
    expect(dtypeOf(new Float64Array(1))).toBe('float64');
    expect(isDType('float32')).toBe(true);
    expect(isDType('float16')).toBe(false);
    expect(isDType(undefined)).toBe(false);
    expect(promote('float32', 'float32')).toBe('float32');
    expect(promote('float32', 'float64')).toBe('float64');
    expect(promote('float64', 'float32')).toBe('float64');
  });
});
