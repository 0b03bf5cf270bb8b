import { describe, expect, it } from 'vitest';
import { arange, eye, full, ones, rand, randn, scalar, tensor, zeros } from '../../src/tensor/create.js';
import type { DType } from '../../src/tensor/dtype.js';
import { add, mul, where } from '../../src/tensor/elementwise.js';
import { CamlabError, fail, shapeStr } from '../../src/tensor/errors.js';
import { gather, indices, scatterAdd } from '../../src/tensor/indexing.js';
import {
  concat, expand, flatten, pad, permute, reshape, slice, squeeze, stack, transpose, unsqueeze,
} from '../../src/tensor/movement.js';
import { argmax, logsumexp, max, mean, softmax, sum, sumTo } from '../../src/tensor/reduce.js';
import { Rng, detLog } from '../../src/tensor/rng.js';
import { broadcastShapes, checkShape, normAxes, normAxis } from '../../src/tensor/shape.js';
import { Tensor } from '../../src/tensor/tensor.js';

/** Runs fn, expects a CamlabError for `op` with exactly `message`. */
function expectError(fn: () => unknown, op: string, message: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${op} to throw`).toBeInstanceOf(CamlabError);
  const err = caught as CamlabError;
  expect(err.op).toBe(op);
  expect(err.message).toBe(`${op}: ${message}`);
}

describe('CamlabError', () => {
  it('carries the op name first in the message', () => {
    const e = new CamlabError('conv2d', 'input has 3 channels');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('CamlabError');
    expect(e.op).toBe('conv2d');
    expect(e.message).toBe('conv2d: input has 3 channels');
    expect(() => fail('op', 'went wrong')).toThrow(CamlabError);
    expect(() => fail('op', 'went wrong')).toThrow('op: went wrong');
    expect(shapeStr([])).toBe('[]');
    expect(shapeStr([1, 2, 3])).toBe('[1,2,3]');
  });
});

describe('shapes', () => {
  it('non-integer, zero and negative dimensions', () => {
    expectError(() => zeros([2, 1.5]), 'zeros', 'shape [2,1.5] has a non-integer dimension 1 (1.5)');
    expectError(() => zeros([2, 0]), 'zeros', 'shape [2,0] has dimension 1 of size 0; sizes must be >= 1 (empty tensors are not supported)');
    expectError(() => ones([-3]), 'full', 'shape [-3] has dimension 0 of size -3; sizes must be >= 1 (empty tensors are not supported)');
    expectError(() => full([NaN], 1), 'full', 'shape [NaN] has a non-integer dimension 0 (NaN)');
    expectError(() => zeros(['2'] as never), 'zeros', 'shape [2] has a non-integer dimension 0 (2)');
    expectError(() => zeros(3 as never), 'zeros', 'shape must be an array of integers, got 3');
    expectError(() => new Tensor(new Float64Array(2), [2, Infinity]), 'Tensor', 'shape [2,Infinity] has a non-integer dimension 1 (Infinity)');
    expectError(() => checkShape('myop', [1, 0]), 'myop', 'shape [1,0] has dimension 1 of size 0; sizes must be >= 1 (empty tensors are not supported)');
  });

  it('data length mismatch and unknown dtype', () => {
    expectError(() => new Tensor(new Float32Array(5), [2, 3]), 'Tensor', 'shape [2,3] needs 6 elements but the data holds 5');
    expectError(() => zeros([2], { dtype: 'float16' as DType }), 'zeros', "unknown dtype float16 (use 'float64' or 'float32')");
    expectError(() => rand([2], { rng: 1, dtype: 'int8' as DType }), 'rand', "unknown dtype int8 (use 'float64' or 'float32')");
    expectError(() => randn([2], { rng: 1, dtype: 'int8' as DType }), 'randn', "unknown dtype int8 (use 'float64' or 'float32')");
    expectError(() => eye(2, 3, { dtype: 'int8' as DType }), 'eye', "unknown dtype int8 (use 'float64' or 'float32')");
    expectError(() => full([2], '1' as never), 'full', 'value must be a number, got 1');
  });

  it('broadcasting failures name the op, both shapes and the dimension', () => {
    expectError(() => add(zeros([2, 3]), zeros([3, 2])), 'add', 'shapes [2,3] and [3,2] cannot be broadcast (dimension -2 is 2 vs 3)');
    expectError(() => mul(zeros([4, 2, 3]), zeros([5, 3])), 'mul', 'shapes [4,2,3] and [5,3] cannot be broadcast (dimension -2 is 2 vs 5)');
    expectError(() => broadcastShapes('op', [2, 3, 4], [3, 5]), 'op', 'shapes [2,3,4] and [3,5] cannot be broadcast (dimension -1 is 4 vs 5)');
    expectError(() => where(zeros([2]), zeros([3]), 0), 'where', 'shapes [2] and [3] cannot be broadcast (dimension -1 is 2 vs 3)');
    expectError(() => expand(zeros([2, 3]), [3, 3]), 'expand', 'shapes [2,3] and [3,3] cannot be broadcast (dimension -2 is 2 vs 3)');
    expectError(() => expand(zeros([3]), [1]), 'expand', 'cannot expand [3] to [1]');
    expectError(() => expand(zeros([1, 3]), [3]), 'expand', 'cannot expand [1,3] to [3]');
    expectError(() => sumTo(zeros([2, 3]), [4, 3]), 'sumTo', 'shape [2,3] does not broadcast from [4,3]');
  });
});

describe('broadcastShapes (shape arithmetic)', () => {
  it('follows NumPy rules', () => {
    expect(broadcastShapes('op', [], [])).toEqual([]);
    expect(broadcastShapes('op', [3], [])).toEqual([3]);
    expect(broadcastShapes('op', [2, 1, 4], [3, 1])).toEqual([2, 3, 4]);
    expect(broadcastShapes('op', [1], [1, 1, 1])).toEqual([1, 1, 1]);
  });
});

describe('axes', () => {
  it('out of range and repeated', () => {
    expectError(() => normAxis('op', 3, 3), 'op', 'axis 3 is out of range for a tensor with 3 dimensions');
    expectError(() => normAxis('op', -4, 3), 'op', 'axis -4 is out of range for a tensor with 3 dimensions');
    expectError(() => normAxis('op', 1.5, 3), 'op', 'axis 1.5 is out of range for a tensor with 3 dimensions');
    expectError(() => normAxes('op', [0, 2, -1], 3), 'op', 'axis -1 is repeated in [0,2,-1]');
    expect(normAxes('op', [2, -3], 3)).toEqual([0, 2]);
    expect(normAxes('op', undefined, 2)).toEqual([0, 1]);
    expect(normAxes('op', -1, 2)).toEqual([1]);
    const x = zeros([2, 3]);
    expectError(() => sum(x, [0, 0]), 'sum', 'axis 0 is repeated in [0,0]');
    expectError(() => mean(x, 5), 'mean', 'axis 5 is out of range for a tensor with 2 dimensions');
    expectError(() => max(x, -3), 'max', 'axis -3 is out of range for a tensor with 2 dimensions');
    expectError(() => logsumexp(x, [1, -1]), 'logsumexp', 'axis -1 is repeated in [1,-1]');
    expectError(() => argmax(x, 2), 'argmax', 'axis 2 is out of range for a tensor with 2 dimensions');
    expectError(() => softmax(x, -3), 'softmax', 'axis -3 is out of range for a tensor with 2 dimensions');
    expectError(() => transpose(x, 0, 2), 'transpose', 'axis 2 is out of range for a tensor with 2 dimensions');
    expectError(() => transpose(zeros([3])), 'transpose', 'axis -2 is out of range for a tensor with 1 dimensions');
    expectError(() => unsqueeze(x, 3), 'unsqueeze', 'axis 3 is out of range for a tensor with 3 dimensions');
    expectError(() => squeeze(x, 2), 'squeeze', 'axis 2 is out of range for a tensor with 2 dimensions');
    expectError(() => squeeze(x, 0), 'squeeze', 'axis 0 has size 2, not 1 (shape [2,3])');
    expectError(() => flatten(x, 2), 'flatten', 'axis 2 is out of range for a tensor with 2 dimensions');
    expectError(() => flatten(zeros([2, 3, 4]), 2, 1), 'flatten', 'start axis 2 comes after end axis 1');
    expectError(() => concat([x, x], 2), 'concat', 'axis 2 is out of range for a tensor with 2 dimensions');
    expectError(() => concat([scalar(1), scalar(2)]), 'concat', 'axis 0 is out of range for a tensor with 0 dimensions');
    expectError(() => stack([x, x], 3), 'stack', 'axis 3 is out of range for a tensor with 3 dimensions');
  });
});

describe('movement', () => {
  const x = arange(12);
  it('reshape: size mismatch, two -1s, bad dimensions', () => {
    expectError(() => reshape(x, [5, 2]), 'reshape', 'cannot reshape [12] (12 elements) to [5,2]');
    expectError(() => reshape(x, [5, -1]), 'reshape', 'cannot reshape [12] (12 elements) to [5,-1]');
    expectError(() => reshape(x, [-1, 2, -1]), 'reshape', 'only one dimension may be -1, got [-1,2,-1]');
    expectError(() => reshape(x, [3, 0]), 'reshape', 'shape [3,0] has dimension 1 of size 0; sizes must be >= 1 (empty tensors are not supported)');
    expectError(() => reshape(x, [-2, -6]), 'reshape', 'shape [-2,-6] has dimension 0 of size -2; sizes must be >= 1 (empty tensors are not supported)');
    expectError(() => reshape(x, [2.5, -1]), 'reshape', 'shape [2.5,-1] has dimension 0 of size 2.5; sizes must be integers >= 1 (one may be -1)');
    expectError(() => reshape(x, [-1, 0]), 'reshape', 'shape [-1,0] has dimension 1 of size 0; sizes must be integers >= 1 (one may be -1)');
    expectError(() => reshape(x, [-1, -3]), 'reshape', 'shape [-1,-3] has dimension 1 of size -3; sizes must be integers >= 1 (one may be -1)');
  });

  it('permute: wrong length, repeats, out of range', () => {
    const y = zeros([2, 3, 4]);
    expectError(() => permute(y, [0, 1]), 'permute', 'permutation [0,1] has 2 entries for 3 dimensions');
    expectError(() => permute(y, [0, 1, 1]), 'permute', '[0,1,1] is not a permutation of 3 dimensions');
    expectError(() => permute(y, [0, 1, -2]), 'permute', '[0,1,-2] is not a permutation of 3 dimensions');
    expectError(() => permute(y, [0, 1, 3]), 'permute', 'axis 3 is out of range for a tensor with 3 dimensions');
  });

  it('slice: out of bounds, empty, non-integer, too many ranges', () => {
    const y = zeros([2, 3]);
    expectError(() => slice(y, [[0, 3]]), 'slice', 'range [0, 3) on axis 0 is empty or out of bounds for shape [2,3]');
    expectError(() => slice(y, [null, [2, 2]]), 'slice', 'range [2, 2) on axis 1 is empty or out of bounds for shape [2,3]');
    expectError(() => slice(y, [null, [2, 1]]), 'slice', 'range [2, 1) on axis 1 is empty or out of bounds for shape [2,3]');
    expectError(() => slice(y, [[-3, 1]]), 'slice', 'range [-3, 1) on axis 0 is empty or out of bounds for shape [2,3]');
    expectError(() => slice(y, [[0, 0.5]]), 'slice', 'range [0, 0.5) on axis 0 must be integers');
    expectError(() => slice(y, [null, null, null]), 'slice', '3 ranges given for shape [2,3]');
  });

  it('pad: negative or non-integer amounts, too many pairs', () => {
    const y = zeros([2, 3]);
    expectError(() => pad(y, [[0, -1]]), 'pad', 'padding [0, -1] on axis 1 must be non-negative integers');
    expectError(() => pad(y, [[-1, 0], [0, 0]]), 'pad', 'padding [-1, 0] on axis 0 must be non-negative integers');
    expectError(() => pad(y, [[0.5, 0]]), 'pad', 'padding [0.5, 0] on axis 1 must be non-negative integers');
    expectError(() => pad(y, [[0, 0], [0, 0], [0, 0]]), 'pad', '3 padding pairs given for shape [2,3]');
  });

  it('concat / stack mismatches', () => {
    expectError(() => concat([]), 'concat', 'needs at least one tensor');
    expectError(() => concat([zeros([2, 3]), zeros([2, 4])], 0), 'concat', 'tensor 1 has shape [2,4], incompatible with [2,3] along axis 0');
    expectError(() => concat([zeros([2, 3]), zeros([2, 3]), zeros([6])], 1), 'concat', 'tensor 2 has shape [6], incompatible with [2,3] along axis 1');
    expectError(() => stack([]), 'stack', 'needs at least one tensor');
    expectError(() => stack([zeros([2]), zeros([2]), zeros([3])]), 'stack', 'tensor 2 has shape [3], expected [2]');
    expectError(() => stack([zeros([2]), zeros([1, 2])]), 'stack', 'tensor 1 has shape [1,2], expected [2]');
  });
});

describe('indexing', () => {
  it('gather / scatterAdd indices out of range', () => {
    expectError(() => gather(zeros([2, 2]), indices([4])), 'gather', 'index 4 at position 0 is out of range for source [2,2] (4 elements)');
    expectError(() => scatterAdd(zeros([2]), indices([0, -2]), [3]), 'scatterAdd', 'index -2 at position 1 is out of range for target [3] (3 elements)');
  });
});

describe('tensor values', () => {
  it('item() on a multi-element tensor; get() with bad indices', () => {
    expectError(() => zeros([3]).item(), 'item', 'tensor of shape [3] has 3 elements, not 1');
    expectError(() => zeros([1, 2]).item(), 'item', 'tensor of shape [1,2] has 2 elements, not 1');
    expectError(() => zeros([2]).get(2), 'get', 'index [2] is out of range for shape [2]');
    expectError(() => zeros([2]).get(0, 0), 'get', 'index [0,0] has 2 entries for shape [2]');
  });

  it('ragged nested arrays', () => {
    expectError(() => tensor([[1, 2, 3], [4, 5]]), 'tensor', 'nested array is ragged: element [1] has length 2, expected 3');
    expectError(() => tensor([[1], 2] as never), 'tensor', 'nested array is ragged at [1]');
    expectError(() => tensor([[[1, 2]], [[3, 4]], [[5]]]), 'tensor', 'nested array is ragged: element [2][0] has length 1, expected 2');
    expectError(() => tensor([1, [2]] as never), 'tensor', 'nested array is ragged: element [1] is an array where a number was expected');
    expectError(() => tensor([[1, null]] as never), 'tensor', 'value at [0][1] is not a number: null');
  });

  it('arange: empty ranges and bad steps', () => {
    expectError(() => arange(0), 'arange', 'range start=0 stop=0 step=1 is empty');
    expectError(() => arange(5, 2), 'arange', 'range start=5 stop=2 step=1 is empty');
    expectError(() => arange(2, 5, -1), 'arange', 'range start=2 stop=5 step=-1 is empty');
    expectError(() => arange(0, 1, NaN), 'arange', 'step must be finite and non-zero, got NaN');
    expectError(() => arange(NaN, 1), 'arange', 'start and stop must be finite, got NaN and 1');
  });

  it('random tensors and the generator', () => {
    expectError(() => rand([2], { rng: 0, low: 2, high: 1 }), 'rand', 'high (1) must exceed low (2)');
    expectError(() => new Rng(0.5), 'Rng', 'seed must be an integer, got 0.5');
    expectError(() => new Rng(1).int(-1), 'Rng.int', 'bound must be a positive integer, got -1');
    expectError(() => detLog(-2), 'detLog', 'argument must be positive and finite, got -2');
  });
});
