import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import '../../src/node-workers.js';
import { backendInfo, getBackend, setBackend } from '../../src/tensor/backend.js';
import { conv2d, conv2dInputGrad, conv2dWeightGrad, type Conv2dOptions } from '../../src/tensor/conv.js';
import { randn } from '../../src/tensor/create.js';
import type { DType, FloatArray } from '../../src/tensor/dtype.js';
import { gemm } from '../../src/tensor/gemm.js';
import { matmul } from '../../src/tensor/matmul.js';
import { Rng } from '../../src/tensor/rng.js';
import { Tensor } from '../../src/tensor/tensor.js';
import { add, div, eq, ge, gt, le, lt, maximum, minimum, mul, ne, sub } from '../../src/tensor/elementwise.js';
import { gather, scatterAdd } from '../../src/tensor/indexing.js';
import { expand, permute, slice } from '../../src/tensor/movement.js';
import { mean, sum as sumAxes } from '../../src/tensor/reduce.js';
import { maxPool2d, type Pool2dOptions } from '../../src/tensor/pool.js';
import { IndexTensor } from '../../src/tensor/tensor.js';
import { relu } from '../../src/tensor/unary.js';
import { getThreads, setThreads } from '../../src/tensor/wasm/threads.js';
import { onBackend } from '../support/backends.js';
import { errorOf, runs } from '../support/check.js';

// The numeric contract (src/tensor/contract.ts) across backends and thread counts: float64
// results are the same bits on the JS and wasm backends, every backend gives the same bits for
// any number of threads, and float32 stays within 2e-6 of float64 relative to the size of the
// terms.

function sameBits(a: FloatArray | Int32Array, b: FloatArray | Int32Array): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) expect.fail(`element ${i}: ${a[i]} vs ${b[i]}`);
  }
}

/** Normal values with NaN, ±Infinity, ±0 and repeats sprinkled in (ties and IEEE corner cases). */
function special(shape: readonly number[], dtype: DType, seed: number): Tensor {
  const rng = new Rng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  const picks = [Number.NaN, Infinity, -Infinity, 0, -0, 1, -1];
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    data[i] = u < 0.1 ? picks[Math.floor(rng.uniform() * picks.length)]! : u < 0.2 && i > 0 ? data[i - 1]! : rng.normal();
  }
  return new Tensor(data, shape);
}

function abs(t: Tensor): Tensor {
  return new Tensor(t.data.map(Math.abs), t.shape);
}

function widen(t: Tensor): Tensor {
  return new Tensor(Float64Array.from(t.data), t.shape);
}

interface ConvCase {
  x: number[];
  w: number[];
  opts: Conv2dOptions;
}

/** A random geometry (groups, stride, padding, dilation) with a valid output. */
const convArb: fc.Arbitrary<ConvCase> = fc
  .record({
    N: fc.integer({ min: 1, max: 2 }),
    groups: fc.integer({ min: 1, max: 2 }),
    Cg: fc.integer({ min: 1, max: 5 }),
    Og: fc.integer({ min: 1, max: 9 }),
    K: fc.integer({ min: 1, max: 3 }),
    s: fc.integer({ min: 1, max: 2 }),
    p: fc.integer({ min: 0, max: 2 }),
    d: fc.integer({ min: 1, max: 2 }),
    H: fc.integer({ min: 5, max: 13 }),
    W: fc.integer({ min: 5, max: 19 }),
  })
  .map((r) => ({
    x: [r.N, r.Cg * r.groups, r.H, r.W],
    w: [r.Og * r.groups, r.Cg, r.K, r.K],
    opts: { stride: r.s, padding: r.p, dilation: r.d, groups: r.groups },
  }));

/** All three kernels of a case on the current backend. */
function convAll(c: ConvCase, dtype: DType, seed: number): Tensor[] {
  const x = randn(c.x, { rng: seed, dtype });
  const w = randn(c.w, { rng: seed + 1, dtype });
  const y = conv2d(x, w, c.opts);
  const g = randn(y.shape, { rng: seed + 2, dtype });
  return [y, conv2dInputGrad(g, w, c.x, c.opts), conv2dWeightGrad(x, g, c.w, c.opts)];
}

describe('float64 is the same bits on the js and wasm backends', () => {
  it('gemm, with any strides, offsets and accumulation, across K blocks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 600 }),
        fc.boolean(), fc.boolean(), fc.boolean(), fc.integer({ min: 0, max: 1 << 30 }),
        (M, N, K, ta, tb, acc, seed) => {
          const rng = new Rng(seed);
          const a = Float64Array.from({ length: M * K + 3 }, () => rng.normal());
          const b = Float64Array.from({ length: K * N + 2 }, () => rng.normal());
          const c0 = Float64Array.from({ length: M * N + 1 }, () => rng.normal());
          const run = (backend: 'js' | 'wasm'): Float64Array => {
            const c = Float64Array.from(c0);
            onBackend(backend, () => gemm(M, N, K, a, 3, ta ? 1 : K, ta ? M : 1, b, 2, tb ? 1 : N, tb ? K : 1, c, 1, N, acc));
            return c;
          };
          sameBits(run('wasm'), run('js'));
        },
      ),
      runs(120),
    );
  });

  it('conv2d, conv2dInputGrad and conv2dWeightGrad on random geometries', () => {
    fc.assert(
      fc.property(convArb, fc.integer({ min: 0, max: 1 << 30 }), (c, seed) => {
        const js = onBackend('js', () => convAll(c, 'float64', seed));
        const wasm = onBackend('wasm', () => convAll(c, 'float64', seed));
        js.forEach((t, i) => sameBits(wasm[i]!.data, t.data));
      }),
      runs(80),
    );
  });

  it('depthwise convolutions (their own kernels): strides, dilation, padding, channel multiplier 1', () => {
    const cases: ConvCase[] = [
      { x: [2, 6, 17, 23], w: [6, 1, 3, 3], opts: { padding: 1, groups: 6 } },
      { x: [1, 5, 20, 31], w: [5, 1, 5, 5], opts: { padding: 2, stride: 2, groups: 5 } },
      { x: [1, 4, 19, 26], w: [4, 1, 3, 3], opts: { padding: [2, 1], dilation: [2, 1], stride: [1, 2], groups: 4 } },
      { x: [3, 3, 15, 40], w: [3, 1, 3, 3], opts: { groups: 3 } },
    ];
    for (const [i, c] of cases.entries()) {
      const js = onBackend('js', () => convAll(c, 'float64', 30 + i));
      const wasm = onBackend('wasm', () => convAll(c, 'float64', 30 + i));
      js.forEach((t, k) => sameBits(wasm[k]!.data, t.data));
    }
  });

  it('across K blocks of every kernel (C·KH·KW, O and OH·OW above 256) and image batches', () => {
    const cases: ConvCase[] = [
      { x: [1, 40, 9, 9], w: [6, 40, 3, 3], opts: { padding: 1 } }, // fwd K = 360
      { x: [1, 3, 6, 7], w: [300, 3, 3, 3], opts: { padding: 1, stride: 2 } }, // dx K = 300
      { x: [3, 4, 20, 19], w: [5, 4, 3, 3], opts: { padding: 1 } }, // dw K = 380 per image, 3 images
      { x: [2, 6, 17, 18], w: [4, 3, 1, 1], opts: { groups: 2 } }, // pointwise, dw K = 306
    ];
    for (const [i, c] of cases.entries()) {
      const js = onBackend('js', () => convAll(c, 'float64', 10 * i));
      const wasm = onBackend('wasm', () => convAll(c, 'float64', 10 * i));
      js.forEach((t, k) => sameBits(wasm[k]!.data, t.data));
    }
  });
});

describe('element-wise ops and max pooling are the same bits on both backends (large enough for wasm)', () => {
  const ops = { add, sub, mul, div, maximum, minimum, gt, ge, lt, le, eq, ne };
  const shapes: [number[], number[]][] = [
    [[3, 40, 7, 20], [3, 40, 7, 20]], // same shape
    [[1, 64, 9, 9], [1, 64, 1, 1]], // per-channel (batch norm)
    [[5, 1, 30, 1], [1, 16, 1, 30]], // both broadcast: 3 collapsed dimensions
    [[2500], []], // a scalar operand
    [[], [40, 70]],
  ];
  it.each(Object.keys(ops))('%s', (name) => {
    const f = ops[name as keyof typeof ops];
    for (const [i, [sa, sb]] of shapes.entries()) {
      for (const [da, db] of [['float32', 'float32'], ['float64', 'float64'], ['float32', 'float64']] as [DType, DType][]) {
        const a = special(sa, da, i);
        const b = special(sb, db, i + 100);
        sameBits(onBackend('wasm', () => f(a, b)).data, onBackend('js', () => f(a, b)).data);
      }
    }
  });

  it('gather and scatterAdd (repeated indices add in index order), and their errors', () => {
    const rng = new Rng(9);
    const idx = new IndexTensor(Int32Array.from({ length: 5000 }, () => Math.floor(rng.uniform() * 3000)), [50, 100]);
    for (const dtype of ['float32', 'float64'] as const) {
      const x = special([3000], dtype, 11);
      const g = special([50, 100], dtype, 12);
      sameBits(onBackend('wasm', () => gather(x, idx)).data, onBackend('js', () => gather(x, idx)).data);
      sameBits(onBackend('wasm', () => scatterAdd(g, idx, [3000])).data, onBackend('js', () => scatterAdd(g, idx, [3000])).data);
      const bad = new IndexTensor(Int32Array.from({ length: 4000 }, (_, i) => (i === 2500 ? 3000 : i % 7)), [4000]);
      for (const backend of ['js', 'wasm'] as const) {
        expect(onBackend(backend, () => errorOf(() => gather(x, bad)))).toBe('gather: index 3000 at position 2500 is out of range for source [3000] (3000 elements)');
        expect(onBackend(backend, () => errorOf(() => scatterAdd(special([4000], dtype, 1), bad, [3000])))).toBe('scatterAdd: index 3000 at position 2500 is out of range for target [3000] (3000 elements)');
      }
    }
  });

  it('strided copies: permutes, slices and broadcasts', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = special([4, 6, 19, 11], dtype, 13);
      const views: [string, () => Tensor][] = [
        ['permute', () => permute(x, [1, 0, 3, 2])],
        ['permute to channels last', () => permute(x, [0, 2, 3, 1])],
        ['slice', () => slice(x, [[1, 4], null, [1, -1], [1, 11]])],
        ['expand', () => expand(special([1, 6, 1, 11], dtype, 14), [4, 6, 19, 11])],
      ];
      for (const [name, f] of views) {
        const w = onBackend('wasm', f);
        expect(w.size, name).toBeGreaterThanOrEqual(2048);
        sameBits(w.data, onBackend('js', f).data);
      }
    }
  });

  it('sums and means over any axes (float64 running sums in order, rounded once)', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = special([8, 16, 9, 9], dtype, 15);
      for (const axes of [[0, 2, 3], [3], [0], [1, 2], [0, 1, 2, 3]]) {
        sameBits(onBackend('wasm', () => sumAxes(x, axes)).data, onBackend('js', () => sumAxes(x, axes)).data);
        sameBits(onBackend('wasm', () => mean(x, axes)).data, onBackend('js', () => mean(x, axes)).data);
      }
    }
  });

  it('relu', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = special([3, 1001], dtype, 7);
      sameBits(onBackend('wasm', () => relu(x)).data, onBackend('js', () => relu(x)).data);
    }
  });

  it.each([
    ['3x3 stride 2 pad 1 (ResNet stem)', [2, 3, 30, 31], { kernelSize: 3, stride: 2, padding: 1 }],
    ['2x2 (ties and NaN)', [1, 4, 16, 16], { kernelSize: 2 }],
    ['3x3 stride 1 pad 1', [1, 3, 12, 23], { kernelSize: 3, stride: 1, padding: 1 }],
    ['dilation, ceil mode, rectangular', [1, 2, 21, 17], { kernelSize: [3, 2], stride: [2, 3], padding: [1, 1], dilation: [2, 1], ceilMode: true }],
  ] as [string, number[], Pool2dOptions][])('maxPool2d %s', (_, shape, opts) => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = special(shape, dtype, 3);
      const w = onBackend('wasm', () => maxPool2d(x, opts));
      const j = onBackend('js', () => maxPool2d(x, opts));
      sameBits(w.values.data, j.values.data);
      sameBits(w.indices.data, j.indices.data);
    }
  });
});

describe('float32 stays within 2e-6 of float64 relative to the size of the terms', () => {
  /** max over elements of |f32 − f64| / Σ|terms| (the scale: the same kernel on absolute values). */
  function worst(f32: Tensor, f64: Tensor, scale: Tensor): number {
    let w = 0;
    for (let i = 0; i < f32.size; i++) {
      const s = scale.data[i]!;
      if (s > 0) w = Math.max(w, Math.abs(f32.data[i]! - f64.data[i]!) / s);
    }
    return w;
  }

  it.each([
    ['ResNet layer4 conv (K = 4608)', { x: [1, 512, 7, 7], w: [512, 512, 3, 3], opts: { padding: 1 } }],
    ['ResNet layer1 conv (dW over 3136 positions x 2 images)', { x: [2, 64, 56, 56], w: [64, 64, 3, 3], opts: { padding: 1 } }],
    ['a strided 7x7 stem', { x: [1, 3, 64, 64], w: [16, 3, 7, 7], opts: { padding: 3, stride: 2 } }],
  ] as [string, ConvCase][])('%s', (_, c) => {
    onBackend('wasm', () => {
      const x = randn(c.x, { rng: 1, dtype: 'float32' });
      const w = randn(c.w, { rng: 2, dtype: 'float32' });
      const y = conv2d(x, w, c.opts);
      const g = randn(y.shape, { rng: 3, dtype: 'float32' });
      const [X, Wd, G] = [widen(x), widen(w), widen(g)];
      expect(worst(y, conv2d(X, Wd, c.opts), conv2d(abs(X), abs(Wd), c.opts))).toBeLessThan(2e-6);
      expect(worst(conv2dInputGrad(g, w, c.x, c.opts), conv2dInputGrad(G, Wd, c.x, c.opts), conv2dInputGrad(abs(G), abs(Wd), c.x, c.opts))).toBeLessThan(2e-6);
      expect(worst(conv2dWeightGrad(x, g, c.w, c.opts), conv2dWeightGrad(X, G, c.w, c.opts), conv2dWeightGrad(abs(X), abs(G), c.w, c.opts))).toBeLessThan(2e-6);
    });
  });

  it('matmul 300x4608 · 4608x70', () => {
    onBackend('wasm', () => {
      const a = randn([300, 4608], { rng: 4, dtype: 'float32' });
      const b = randn([4608, 70], { rng: 5, dtype: 'float32' });
      const ref = matmul(widen(a), widen(b));
      const scale = matmul(abs(widen(a)), abs(widen(b)));
      expect(worst(matmul(a, b), ref, scale)).toBeLessThan(2e-6);
    });
  });
});

describe('threads', () => {
  const before = getThreads();
  afterAll(() => setThreads(before));

  /** Waits until the pool's workers have started (they instantiate the module asynchronously). */
  async function poolReady(n: number): Promise<void> {
    setThreads(n);
    const x = randn([1, 32, 40, 40], { rng: 1, dtype: 'float32' });
    const w = randn([32, 32, 3, 3], { rng: 2, dtype: 'float32' });
    for (let i = 0; i < 200 && backendInfo().threads.active < n; i++) {
      onBackend('wasm', () => conv2d(x, w, { padding: 1 })); // large enough to start the pool
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(backendInfo().threads).toEqual({ requested: n, active: n, reason: null });
  }

  it('give the same bits for 1, 2 and 3 threads (float32 and float64, all kernels and matmul)', async () => {
    const compute = (): Tensor[] =>
      onBackend('wasm', () =>
        (['float32', 'float64'] as const).flatMap((dtype) => [
          ...convAll({ x: [1, 48, 30, 31], w: [40, 48, 3, 3], opts: { padding: 1 } }, dtype, 1),
          ...convAll({ x: [3, 16, 28, 28], w: [32, 16, 3, 3], opts: { padding: 1, stride: 2 } }, dtype, 2),
          ...convAll({ x: [1, 64, 20, 20], w: [64, 16, 3, 3], opts: { padding: 1, groups: 4 } }, dtype, 3),
          matmul(randn([200, 300], { rng: 4, dtype }), randn([300, 250], { rng: 5, dtype })),
          matmul(randn([8, 700], { rng: 6, dtype }), randn([700, 900], { rng: 7, dtype })),
        ]),
      );
    setThreads(1);
    const one = compute();
    await poolReady(2);
    const two = compute();
    await poolReady(3);
    const three = compute();
    one.forEach((t, i) => {
      sameBits(two[i]!.data, t.data);
      sameBits(three[i]!.data, t.data);
    });
  });

  it('more jobs than the control block holds run in several generations (a depthwise conv: one job per channel)', async () => {
    const c: ConvCase = { x: [1, 1100, 9, 9], w: [1100, 1, 3, 3], opts: { padding: 1, groups: 1100 } };
    setThreads(1);
    const one = onBackend('wasm', () => convAll(c, 'float64', 5));
    await poolReady(2);
    const two = onBackend('wasm', () => convAll(c, 'float64', 5));
    const js = onBackend('js', () => convAll(c, 'float64', 5));
    one.forEach((t, i) => {
      sameBits(two[i]!.data, t.data);
      sameBits(js[i]!.data, t.data);
    });
  });

  it('setThreads rejects what is not a positive integer', () => {
    expect(errorOf(() => setThreads(0))).toBe('setThreads: thread count must be an integer in [1, 256], got 0');
    expect(errorOf(() => setThreads(1.5))).toBe('setThreads: thread count must be an integer in [1, 256], got 1.5');
  });
});

describe('backend selection', () => {
  it('defaults to wasm where WebAssembly SIMD validates (Node 20 here)', () => {
    expect(getBackend()).toBe('wasm');
    expect(backendInfo().backend).toBe('wasm');
    expect(backendInfo().reason).toBeNull();
  });

  it('switches both ways and rejects unknown names', () => {
    onBackend('js', () => {
      expect(getBackend()).toBe('js');
      expect(backendInfo()).toMatchObject({ backend: 'js', reason: 'selected with setBackend' });
    });
    expect(getBackend()).toBe('wasm');
    expect(errorOf(() => setBackend('gpu' as 'js'))).toBe(`setBackend: backend must be 'js' or 'wasm', got "gpu"`);
  });
});
