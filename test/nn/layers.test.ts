import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck } from '../../src/autodiff/gradcheck.js';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { manualSeed } from '../../src/nn/init.js';
import {
  AdaptiveAvgPool2d, AvgPool2d, BasicBlock, BatchNorm2d, Conv2d, Dropout, Flatten, GELU, GlobalAvgPool, Identity,
  Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax, Tanh,
} from '../../src/nn/layers.js';
import { ones, randn, tensor, zeros } from '../../src/tensor/create.js';
import { CamlabError } from '../../src/tensor/errors.js';
import { adaptiveAvgPool2d } from '../../src/tensor/pool.js';
import { Rng } from '../../src/tensor/rng.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, runs } from '../support/check.js';

function stats(d: ArrayLike<number>): { min: number; max: number; mean: number; variance: number } {
  let min = Infinity;
  let max = -Infinity;
  let s = 0;
  for (let i = 0; i < d.length; i++) {
    min = Math.min(min, d[i]!);
    max = Math.max(max, d[i]!);
    s += d[i]!;
  }
  const mean = s / d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) v += (d[i]! - mean) ** 2;
  return { min, max, mean, variance: v / d.length };
}

/** Samples are U(−b, b): inside the bound, reaching close to it, mean ≈ 0, variance ≈ b²/3. */
function expectUniform(d: ArrayLike<number>, b: number): void {
  const s = stats(d);
  expect(s.min).toBeGreaterThanOrEqual(-b);
  expect(s.max).toBeLessThanOrEqual(b);
  if (d.length >= 200) {
    expect(s.max).toBeGreaterThan(0.95 * b);
    expect(s.min).toBeLessThan(-0.95 * b);
    expect(Math.abs(s.mean)).toBeLessThan(0.1 * b);
    expect(s.variance / (b * b / 3)).toBeGreaterThan(0.85);
    expect(s.variance / (b * b / 3)).toBeLessThan(1.15);
  }
}

describe('initialization (PyTorch defaults: U(−1/√fan_in, 1/√fan_in) for weights and biases)', () => {
  it('Conv2d: fan_in = in/groups · kh · kw', () => {
    const c = new Conv2d(6, 32, [3, 2], { rng: new Rng(1) });
    expectUniform(c.weight.data, 1 / Math.sqrt(6 * 3 * 2));
    expectUniform(c.bias!.data, 1 / Math.sqrt(6 * 3 * 2));
    const g = new Conv2d(6, 30, 3, { groups: 3, rng: new Rng(2) });
    expect(g.weight.shape).toEqual([30, 2, 3, 3]);
    expectUniform(g.weight.data, 1 / Math.sqrt(2 * 9));
  });

  it('Linear: fan_in = in', () => {
    const l = new Linear(100, 40, { rng: new Rng(3) });
    expect(l.weight.shape).toEqual([40, 100]);
    expectUniform(l.weight.data, 0.1);
    expectUniform(l.bias!.data, 0.1);
  });

  it('property: every Conv2d/Linear weight lies within its bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 0, max: 1e6 }), (cin, cout, k, seed) => {
        const c = new Conv2d(cin, cout, k, { rng: new Rng(seed) });
        const b = 1 / Math.sqrt(cin * k * k);
        for (const v of [...c.weight.data, ...c.bias!.data]) expect(Math.abs(v)).toBeLessThanOrEqual(b);
        const l = new Linear(cin, cout, { rng: new Rng(seed) });
        for (const v of [...l.weight.data, ...l.bias!.data]) expect(Math.abs(v)).toBeLessThanOrEqual(1 / Math.sqrt(cin));
      }),
      runs(40),
    );
  });

  it('is deterministic for a seed (explicit generator, or manualSeed for the default one)', () => {
    const a = new Conv2d(3, 4, 3, { rng: new Rng(42) });
    const b = new Conv2d(3, 4, 3, { rng: new Rng(42) });
    const c = new Conv2d(3, 4, 3, { rng: new Rng(43) });
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
    expect(Array.from(a.bias!.data)).toEqual(Array.from(b.bias!.data));
    expect(Array.from(a.weight.data)).not.toEqual(Array.from(c.weight.data));
    manualSeed(7);
    const d1 = [new Linear(5, 3), new Conv2d(2, 2, 2)];
    manualSeed(7);
    const d2 = [new Linear(5, 3), new Conv2d(2, 2, 2)];
    d1.forEach((m, i) => expect(Array.from(m.parameters()[0]!.data)).toEqual(Array.from(d2[i]!.parameters()[0]!.data)));
    // Successive layers from one generator differ.
    expect(Array.from(d1[0]!.parameters()[0]!.data.slice(0, 4))).not.toEqual(Array.from(d1[1]!.parameters()[0]!.data));
  });

  it('dtype option: float32 parameters', () => {
    const l = new Linear(3, 2, { dtype: 'float32', rng: new Rng(1) });
    expect(l.weight.dtype).toBe('float32');
    expect(new Conv2d(1, 1, 1, { dtype: 'float32' }).bias!.dtype).toBe('float32');
    expect(new BatchNorm2d(2, { dtype: 'float32' }).stateDict().get('running_var')!.dtype).toBe('float32');
  });

  it('bias: false registers no bias', () => {
    expect(new Conv2d(2, 3, 3, { bias: false }).bias).toBeNull();
    expect([...new Linear(2, 3, { bias: false }).stateDict().keys()]).toEqual(['weight']);
  });
});

describe('Conv2d and Linear forward', () => {
  it('Linear: y = x Wᵀ + b for 1-D, 2-D and 3-D inputs', () => {
    const l = new Linear(3, 2, { rng: new Rng(1) });
    const W = l.weight.data;
    const b = l.bias!.data;
    const x = [0.5, -1, 2];
    const ref = [0, 1].map((o) => b[o]! + x.reduce((s, v, i) => s + v * W[o * 3 + i]!, 0));
    expectClose(l.call(tensor(x)).data, ref, 1e-15, 1e-15);
    expect(l.call(tensor([x, x])).shape).toEqual([2, 2]);
    expect(l.call(zeros([4, 5, 3])).shape).toEqual([4, 5, 2]);
  });

  it('Conv2d with a 1x1 kernel is a per-pixel Linear', () => {
    const c = new Conv2d(3, 2, 1, { rng: new Rng(2) });
    const x = randn([1, 3, 2, 2], { rng: 3 });
    const y = c.call(x);
    for (let p = 0; p < 4; p++) {
      for (let o = 0; o < 2; o++) {
        let s = c.bias!.data[o]!;
        for (let i = 0; i < 3; i++) s += c.weight.data[o * 3 + i]! * x.data[i * 4 + p]!;
        expect(y.data[o * 4 + p]).toBeCloseTo(s, 14);
      }
    }
  });

  it('Conv2d output shape follows stride/padding/dilation', () => {
    const c = new Conv2d(2, 3, 3, { stride: 2, padding: 2, dilation: 2 });
    expect(c.call(zeros([1, 2, 9, 7])).shape).toEqual([1, 3, 5, 4]);
  });
});

describe('BatchNorm2d', () => {
  /** Per-channel biased mean/variance of x [N,C,H,W], written out. */
  function channelStats(x: Tensor): { mean: number[]; variance: number[]; n: number } {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const mean: number[] = [];
    const variance: number[] = [];
    for (let c = 0; c < C; c++) {
      const vals: number[] = [];
      for (let n = 0; n < N; n++) for (let i = 0; i < H * W; i++) vals.push(x.data[(n * C + c) * H * W + i]!);
      const m = vals.reduce((a, b) => a + b, 0) / vals.length;
      mean.push(m);
      variance.push(vals.reduce((a, b) => a + (b - m) ** 2, 0) / vals.length);
    }
    return { mean, variance, n: N * H * W };
  }

  function setAffine(bn: BatchNorm2d, gamma: number[], beta: number[]): void {
    bn.stateDict().get('weight')!.data.set(gamma);
    bn.stateDict().get('bias')!.data.set(beta);
  }

  it('training: batch statistics with biased variance; running stats with momentum and unbiased variance', () => {
    const bn = new BatchNorm2d(3, { momentum: 0.25, eps: 1e-3 });
    setAffine(bn, [1.5, 0.5, -2], [0.1, -0.2, 0.3]);
    const sd = bn.stateDict();
    const rm = [0.2, -0.1, 0.4];
    const rv = [1.2, 0.7, 2.5];
    sd.get('running_mean')!.data.set(rm);
    sd.get('running_var')!.data.set(rv);
    const x = randn([2, 3, 3, 4], { rng: 11, mean: 1, std: 2 });
    const y = bn.train().call(x);
    const { mean, variance, n } = channelStats(x);
    const gamma = [1.5, 0.5, -2];
    const beta = [0.1, -0.2, 0.3];
    const ref = Array.from(x.data, (v, i) => {
      const c = Math.floor(i / 12) % 3;
      return ((v - mean[c]!) / Math.sqrt(variance[c]! + 1e-3)) * gamma[c]! + beta[c]!;
    });
    expectClose(y.data, ref, 1e-13, 1e-13);
    expectClose(sd.get('running_mean')!.data, rm.map((r, c) => 0.75 * r + 0.25 * mean[c]!), 1e-15, 1e-15);
    expectClose(sd.get('running_var')!.data, rv.map((r, c) => 0.75 * r + (0.25 * variance[c]! * n) / (n - 1)), 1e-15, 1e-15);
    expect(sd.get('num_batches_tracked')!.item()).toBe(1);
    bn.call(x);
    expect(sd.get('num_batches_tracked')!.item()).toBe(2);
  });

  it('eval uses the running statistics and leaves them alone', () => {
    const bn = new BatchNorm2d(2, { eps: 1e-5 });
    setAffine(bn, [2, 3], [-1, 1]);
    const sd = bn.stateDict();
    sd.get('running_mean')!.data.set([0.5, -1]);
    sd.get('running_var')!.data.set([4, 0.25]);
    const x = randn([3, 2, 2, 2], { rng: 2 });
    const y = bn.eval().call(x);
    const ref = Array.from(x.data, (v, i) => {
      const c = Math.floor(i / 4) % 2;
      const [m, s, g, b] = c === 0 ? [0.5, 4, 2, -1] : [-1, 0.25, 3, 1];
      return ((v - m) / Math.sqrt(s + 1e-5)) * g + b;
    });
    expectClose(y.data, ref, 1e-14, 1e-14);
    expect(Array.from(sd.get('running_mean')!.data)).toEqual([0.5, -1]);
    expect(sd.get('num_batches_tracked')!.item()).toBe(0);
    // Eval is per-sample: batch elements do not influence each other.
    const one = bn.call(randn([1, 2, 2, 2], { rng: 2 }));
    expectClose(one.data, y.data.subarray(0, 8), 0, 0);
  });

  it('training-mode gradient passes gradcheck (through the batch statistics)', () => {
    const bn = new BatchNorm2d(2);
    setAffine(bn, [1.3, -0.7], [0.2, 0.1]);
    const x = randn([2, 2, 2, 3], { rng: 5 });
    const report = gradcheck((t) => bn.call(t), [x]);
    expect(report.maxAbsError).toBeLessThan(1e-6);
  });

  it('rejects a single value per channel in training (as PyTorch), not in eval', () => {
    const bn = new BatchNorm2d(3);
    expect(() => bn.train().call(zeros([1, 3, 1, 1]))).toThrow(/more than 1 value per channel/);
    expect(bn.eval().call(zeros([1, 3, 1, 1])).shape).toEqual([1, 3, 1, 1]);
  });

  it('bad shapes and arguments', () => {
    expect(() => new BatchNorm2d(3).call(zeros([2, 4, 2, 2]))).toThrow(/BatchNorm2d: expects \[N,3,H,W\], got \[2,4,2,2\]/);
    expect(() => new BatchNorm2d(3).call(zeros([2, 3]))).toThrow(/BatchNorm2d/);
    expect(() => new BatchNorm2d(0)).toThrow(/BatchNorm2d: number of features must be a positive integer, got 0/);
    expect(() => new BatchNorm2d(2, { momentum: 2 })).toThrow(/momentum/);
    expect(() => new BatchNorm2d(2, { eps: 0 })).toThrow(/eps/);
  });
});

describe('Dropout', () => {
  const x = randn([1000], { rng: 1 });

  it('is seeded: the same generator seed gives the same mask', () => {
    const a = new Dropout(0.3, { rng: new Rng(5) }).call(x);
    const b = new Dropout(0.3, { rng: new Rng(5) }).call(x);
    const c = new Dropout(0.3, { rng: new Rng(6) }).call(x);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
  });

  it('zeroes about p of the elements and scales the rest by 1/(1−p)', () => {
    const d = new Dropout(0.3, { rng: new Rng(8) });
    const y = d.call(x);
    let zerosN = 0;
    for (let i = 0; i < x.size; i++) {
      if (y.data[i] === 0) zerosN++;
      else expect(y.data[i]).toBeCloseTo(x.data[i]! / 0.7, 14);
    }
    expect(zerosN / x.size).toBeGreaterThan(0.25);
    expect(zerosN / x.size).toBeLessThan(0.35);
    // A fresh mask on every call.
    expect(Array.from(d.call(x).data)).not.toEqual(Array.from(y.data));
  });

  it('gradient is the mask', () => {
    const d = new Dropout(0.5, { rng: new Rng(9) });
    const xi = requiresGrad(randn([50], { rng: 2 }));
    const y = d.call(xi);
    const [g] = grad(y, xi, { gradOutputs: ones([50]) });
    for (let i = 0; i < 50; i++) expect(g!.data[i]).toBe(y.data[i] === 0 ? 0 : 2);
  });

  it('eval mode and p = 0 are the identity', () => {
    const d = new Dropout(0.5, { rng: new Rng(1) }).eval();
    expect(d.call(x)).toBe(x);
    expect(new Dropout(0).call(x)).toBe(x);
  });

  it('rejects p outside [0, 1)', () => {
    for (const p of [1, -0.1, 1.5, NaN]) expect(() => new Dropout(p)).toThrow(/Dropout: probability must be in \[0, 1\)/);
  });
});

describe('BasicBlock', () => {
  it('keeps the shape without downsample, halves it with stride 2 (1x1 conv + bn downsample)', () => {
    const same = new BasicBlock(4, 4, { rng: new Rng(1) });
    expect(same.downsample).toBeNull();
    expect(same.call(randn([2, 4, 6, 6], { rng: 1 })).shape).toEqual([2, 4, 6, 6]);
    const down = new BasicBlock(4, 8, { stride: 2, rng: new Rng(1) });
    expect(down.downsample).not.toBeNull();
    expect(down.call(randn([2, 4, 7, 6], { rng: 1 })).shape).toEqual([2, 8, 4, 3]);
    expect(new BasicBlock(4, 4, { stride: 2 }).downsample).not.toBeNull();
    expect(new BasicBlock(4, 6).downsample).not.toBeNull();
    expect((down.get('downsample.0') as Conv2d).describe()).toBe('Conv2d(4, 8, kernel=1, stride=2, bias=false)');
    expect(down.conv1.describe()).toBe('Conv2d(4, 8, kernel=3, stride=2, padding=1, bias=false)');
  });

  it('identity skip: with zero conv weights (eval, fresh bn) the block is relu(x)', () => {
    const b = new BasicBlock(3, 3, { rng: new Rng(2) }).eval();
    b.conv1.weight.data.fill(0);
    b.conv2.weight.data.fill(0);
    const x = randn([1, 3, 4, 4], { rng: 3 });
    expect(Array.from(b.call(x).data)).toEqual(Array.from(x.data, (v) => Math.max(v, 0)));
  });

  it('dtype propagates to every conv and batch norm', () => {
    const b = new BasicBlock(2, 4, { stride: 2, dtype: 'float32' });
    for (const [, t] of b.stateDict()) expect(t.dtype).toBe('float32');
  });
});

describe('small layers', () => {
  it('activations', () => {
    const x = tensor([-2, 0, 1]);
    expect(Array.from(new ReLU().call(x).data)).toEqual([0, 0, 1]);
    expectClose(new Sigmoid().call(x).data, [1 / (1 + Math.exp(2)), 0.5, 1 / (1 + Math.exp(-1))], 1e-15, 1e-15);
    expectClose(new Tanh().call(x).data, [Math.tanh(-2), 0, Math.tanh(1)], 1e-15, 1e-15);
    // Exact GELU x·Φ(x) (PyTorch's default, not the tanh approximation).
    expectClose(new GELU().call(x).data, [-0.04550026389635842, 0, 0.8413447460685429], 1e-15, 1e-13);
    expect(new Identity().call(x)).toBe(x);
  });

  it('Softmax over the given dim', () => {
    const y = new Softmax(0).call(tensor([[1, 2], [3, 2]]));
    expectClose(y.data, [1 / (1 + Math.exp(2)), 0.5, 1 / (1 + Math.exp(-2)), 0.5], 1e-15, 1e-15);
    const z = new Softmax().call(tensor([[1, 2, 3]]));
    expect(Array.from(z.data).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 15);
  });

  it('pools and Flatten', () => {
    const x = randn([2, 3, 5, 7], { rng: 4 });
    expect(new MaxPool2d({ kernelSize: 2 }).call(x).shape).toEqual([2, 3, 2, 3]);
    expect(new AvgPool2d({ kernelSize: 3, stride: 2, padding: 1 }).call(x).shape).toEqual([2, 3, 3, 4]);
    expect(Array.from(new AdaptiveAvgPool2d([2, 3]).call(x).data)).toEqual(Array.from(adaptiveAvgPool2d(x, [2, 3]).data));
    const g = new GlobalAvgPool().call(x);
    expect(g.shape).toEqual([2, 3]);
    expectClose(g.data, adaptiveAvgPool2d(x, 1).data, 1e-15, 1e-15);
    expect(new Flatten().call(x).shape).toEqual([2, 105]);
    expect(new Flatten(2).call(x).shape).toEqual([2, 3, 35]);
    expect(new Flatten(0, 1).call(x).shape).toEqual([6, 5, 7]);
    expect(() => new GlobalAvgPool().call(zeros([2, 3]))).toThrow(/GlobalAvgPool: expects a 4-D input \[N,C,H,W\], got \[2,3\]/);
  });
});

describe('describe()', () => {
  it('gives short PyTorch-like summaries', () => {
    expect(new Conv2d(3, 16, 3, { padding: 1 }).describe()).toBe('Conv2d(3, 16, kernel=3, padding=1)');
    expect(new Conv2d(4, 8, [3, 2], { stride: [2, 1], padding: 1, dilation: 2, groups: 2, bias: false }).describe()).toBe(
      'Conv2d(4, 8, kernel=(3, 2), stride=(2, 1), padding=1, dilation=2, groups=2, bias=false)',
    );
    expect(new Linear(5, 3).describe()).toBe('Linear(5, 3)');
    expect(new Linear(5, 3, { bias: false }).describe()).toBe('Linear(5, 3, bias=false)');
    expect(new MaxPool2d({ kernelSize: 2 }).describe()).toBe('MaxPool2d(kernel=2)');
    expect(new MaxPool2d({ kernelSize: 3, stride: 2, padding: 1 }).describe()).toBe('MaxPool2d(kernel=3, stride=2, padding=1)');
    expect(new AvgPool2d({ kernelSize: [2, 3] }).describe()).toBe('AvgPool2d(kernel=(2, 3))');
    expect(new AdaptiveAvgPool2d(1).describe()).toBe('AdaptiveAvgPool2d(1)');
    expect(new AdaptiveAvgPool2d([2, 3]).describe()).toBe('AdaptiveAvgPool2d((2, 3))');
    expect(new BatchNorm2d(8).describe()).toBe('BatchNorm2d(8)');
    expect(new Dropout(0.25).describe()).toBe('Dropout(p=0.25)');
    expect(new Softmax(1).describe()).toBe('Softmax(dim=1)');
    expect(new ReLU().describe()).toBe('ReLU');
    expect(new GlobalAvgPool().describe()).toBe('GlobalAvgPool');
    expect(new Sequential().describe()).toBe('Sequential');
    expect(new BasicBlock(2, 2).describe()).toBe('BasicBlock');
  });
});

describe('bad arguments give clear errors', () => {
  it('Linear input feature mismatch names both shapes', () => {
    const l = new Linear(5, 3);
    let msg = '';
    try {
      l.call(zeros([2, 4]));
    } catch (e) {
      expect(e).toBeInstanceOf(CamlabError);
      msg = (e as Error).message;
    }
    expect(msg).toBe('Linear: input has 4 features, layer expects 5 (input [2,4], weight [3,5])');
  });

  it('Conv2d channel mismatch names input and weight shapes', () => {
    expect(() => new Conv2d(3, 4, 3).call(zeros([1, 2, 5, 5]))).toThrow('conv2d: input has 2 channels, weight expects 3 (input [1,2,5,5], weight [4,3,3,3])');
    expect(() => new Conv2d(3, 4, 3).call(zeros([2, 5, 5]))).toThrow(/input must be 4-D/);
  });

  it('constructor arguments are validated when the layer is built', () => {
    expect(() => new Conv2d(0, 4, 3)).toThrow(/Conv2d: channel counts must be positive integers, got in=0, out=4/);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/Conv2d: groups=2 must divide in=3 and out=4/);
    expect(() => new Conv2d(4, 4, 3, { groups: 0 })).toThrow(/Conv2d: groups must be a positive integer, got 0/);
    expect(() => new Conv2d(3, 4, 0)).toThrow(/Conv2d: kernel size must be integers >= 1, got 0/);
    expect(() => new Conv2d(3, 4, 3, { stride: 0 })).toThrow(/Conv2d: stride must be integers >= 1/);
    expect(() => new Conv2d(3, 4, 3, { padding: -1 })).toThrow(/Conv2d: padding must be non-negative integers/);
    expect(() => new Conv2d(3, 4, 3, { dilation: [1, 0] })).toThrow(/Conv2d: dilation must be integers >= 1, got \[1,0\]/);
    expect(() => new Linear(2.5, 3)).toThrow(/Linear: feature counts must be positive integers/);
  });

  it('pool errors name the op', () => {
    expect(() => new MaxPool2d({ kernelSize: 5 }).call(zeros([1, 1, 3, 3]))).toThrow(/maxPool2d: kernel 5x5 .* larger than the padded input/);
  });
});
