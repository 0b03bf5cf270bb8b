import { afterAll, describe, expect, it } from 'vitest';
import '../../src/node-workers.js';
import { channelAffine } from '../../src/tensor/channel-affine.js';
import { conv2d, type Conv2dOptions } from '../../src/tensor/conv.js';
import type { ConvEpilogue } from '../../src/tensor/conv-epilogue.js';
import { randn } from '../../src/tensor/create.js';
import type { DType } from '../../src/tensor/dtype.js';
import { add } from '../../src/tensor/elementwise.js';
import { reshape } from '../../src/tensor/movement.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { relu } from '../../src/tensor/unary.js';
import { getThreads, setThreads } from '../../src/tensor/wasm/threads.js';
import { BACKENDS, useBackend } from '../support/backends.js';
import { errorOf } from '../support/check.js';

// A convolution's epilogue (bias, batch norm, residual, relu) applied inside the kernel call must
// give the bits of the separate ops, for every combination of steps, on both backends and any
// number of threads.

const bits = (t: Tensor): string[] => Array.from(t.data, (v) => (Object.is(v, -0) ? '-0' : String(v)));

/** Values with zeros, ties and IEEE specials, so relu's NaN / −0 / −∞ cases are exercised. */
function values(shape: number[], dtype: DType, seed: number): Tensor {
  const rng = new Rng(seed);
  const t = randn(shape, { rng: seed, dtype });
  const picks = [Number.NaN, Infinity, -Infinity, 0, -0];
  for (let i = 0; i < t.size; i++) if (rng.uniform() < 0.03) t.data[i] = picks[Math.floor(rng.uniform() * picks.length)]!;
  return t;
}

interface Case {
  x: number[];
  w: number[];
  opts: Conv2dOptions;
}

const CASES: Case[] = [
  { x: [2, 3, 9, 7], w: [4, 3, 3, 3], opts: { padding: 1 } },
  { x: [1, 8, 20, 20], w: [16, 8, 3, 3], opts: { stride: 2, padding: 1 } }, // large enough for the threads
  { x: [2, 4, 6, 6], w: [4, 1, 3, 3], opts: { padding: 1, groups: 4 } }, // depthwise
  { x: [1, 4, 5, 5], w: [6, 2, 1, 1], opts: { groups: 2 } },
];

function unfused(y: Tensor, ep: ConvEpilogue, O: number): Tensor {
  const channel = (a: ArrayLike<number>): Tensor => new Tensor(y.dtype === 'float32' ? Float32Array.from(a) : Float64Array.from(a), [1, O, 1, 1]);
  let v = y;
  if (ep.bias) v = add(v, channel(ep.bias));
  if (ep.affine) v = channelAffine(v, channel(ep.affine.mean), channel(ep.affine.scale), channel(ep.affine.shift));
  if (ep.residual) v = add(v, new Tensor(ep.residual, y.shape));
  if (ep.relu) v = relu(v);
  return v;
}

describe.each(BACKENDS)('conv2d epilogues: the bits of conv2d then add, channelAffine, add, relu (%s backend)', (backend) => {
  useBackend(backend);
  const before = getThreads();
  afterAll(() => setThreads(before));

  it('every combination of steps, float32 and float64, 1 and 2 threads', () => {
    for (const threads of [1, 2]) {
      setThreads(threads);
      for (const dtype of ['float32', 'float64'] as const) {
        CASES.forEach((c, ci) => {
          const x = values(c.x, dtype, 10 + ci);
          const w = randn(c.w, { rng: 20 + ci, dtype });
          const y = conv2d(x, w, c.opts);
          const O = c.w[0]!;
          const chan = (seed: number): Tensor => reshape(values([O], dtype, seed), [O]);
          for (let flags = 0; flags < 16; flags++) {
            const ep: ConvEpilogue = {};
            if (flags & 1) ep.bias = chan(30).data;
            if (flags & 2) ep.affine = { mean: chan(31).data, scale: chan(32).data, shift: chan(33).data };
            if (flags & 4) ep.residual = values(y.shape as number[], dtype, 34).data;
            if (flags & 8) ep.relu = true;
            expect(bits(conv2d(x, w, c.opts, ep)), `case ${ci} ${dtype} flags ${flags} threads ${threads}`).toEqual(bits(unfused(y, ep, O)));
          }
        });
      }
    }
  });
});

describe('conv2d epilogue errors', () => {
  it('name what does not fit the output', () => {
    const x = randn([1, 2, 4, 4], { rng: 1 });
    const w = randn([3, 2, 3, 3], { rng: 2 });
    expect(errorOf(() => conv2d(x, w, {}, { bias: new Float64Array(2) }))).toBe('conv2d: epilogue bias has 2 values, the output needs 3');
    expect(errorOf(() => conv2d(x, w, {}, { residual: new Float32Array(12) }))).toBe('conv2d: epilogue residual must be a Float64Array like the output');
  });
});
