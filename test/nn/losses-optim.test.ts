import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grad } from '../../src/autodiff/grad.js';
import { requiresGrad } from '../../src/autodiff/node.js';
import { crossEntropy, mseLoss, type Reduction } from '../../src/nn/losses.js';
import { Adam, SGD, type AdamOptions, type SGDOptions } from '../../src/nn/optim.js';
import { tensor, zeros } from '../../src/tensor/create.js';
import { CamlabError } from '../../src/tensor/errors.js';
import { indices } from '../../src/tensor/indexing.js';
import type { Tensor } from '../../src/tensor/tensor.js';
import { expectClose, runs } from '../support/check.js';

/** −log softmax(z)[t] = logsumexp(z) − z[t], with the max subtracted (plain JS reference). */
function refCE(row: readonly number[], t: number): number {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return lse - row[t]!;
}

function refSoftmax(row: readonly number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

const logitsArb = (scale: number): fc.Arbitrary<{ rows: number[][]; targets: number[] }> =>
  fc.record({ n: fc.integer({ min: 1, max: 4 }), c: fc.integer({ min: 2, max: 6 }) }).chain(({ n, c }) =>
    fc.record({
      rows: fc.array(fc.array(fc.double({ min: -scale, max: scale, noNaN: true }), { minLength: c, maxLength: c }), { minLength: n, maxLength: n }),
      targets: fc.array(fc.integer({ min: 0, max: c - 1 }), { minLength: n, maxLength: n }),
    }),
  );

describe('crossEntropy', () => {
  it('property: equals −log softmax[target] per row, and mean/sum reduce it', () => {
    fc.assert(
      fc.property(logitsArb(30), ({ rows, targets }) => {
        const z = tensor(rows);
        const per = rows.map((r, i) => refCE(r, targets[i]!));
        expectClose(crossEntropy(z, targets, 'none').data, per, 1e-12, 1e-12);
        expect(crossEntropy(z, targets, 'sum').item()).toBeCloseTo(per.reduce((a, b) => a + b, 0), 10);
        expect(crossEntropy(z, targets).item()).toBeCloseTo(per.reduce((a, b) => a + b, 0) / rows.length, 10);
      }),
      runs(60),
    );
  });

  it('property: the gradient is (softmax − onehot)/N for the mean', () => {
    fc.assert(
      fc.property(logitsArb(30), ({ rows, targets }) => {
        const z = requiresGrad(tensor(rows));
        const [g] = grad(crossEntropy(z, targets), z);
        const n = rows.length;
        const ref = rows.flatMap((r, i) => refSoftmax(r).map((p, k) => (p - (k === targets[i] ? 1 : 0)) / n));
        expectClose(g!.data, ref, 1e-14, 1e-12);
      }),
      runs(60),
    );
  });

  it('is stable at logits ±1000', () => {
    const z = requiresGrad(tensor([[1000, -1000, 0], [-1000, -1000, 1000], [1000, 1000, -1000]]));
    const loss = crossEntropy(z, [1, 2, 0], 'none');
    expectClose(loss.data, [2000, 0, Math.log(2)], 1e-12, 1e-15);
    for (const v of loss.data) expect(Number.isFinite(v)).toBe(true);
    const [g] = grad(crossEntropy(z, [1, 2, 0], 'sum'), z);
    expectClose(g!.data, [1, -1, 0, 0, 0, 0, -0.5, 0.5, 0], 1e-15, 1e-15);
  });

  it('accepts an IndexTensor of targets', () => {
    const z = tensor([[0.1, 0.2], [0.3, -0.1]]);
    expect(crossEntropy(z, indices([1, 0])).item()).toBe(crossEntropy(z, [1, 0]).item());
  });

  it('bad targets and shapes give clear errors', () => {
    const z = tensor([[0.1, 0.2, 0.3], [0.3, -0.1, 0]]);
    expect(() => crossEntropy(z, [0, 3])).toThrow('crossEntropy: target 3 at position 1 is not a class index in [0, 3)');
    expect(() => crossEntropy(z, [-1, 0])).toThrow(/target -1 at position 0/);
    expect(() => crossEntropy(z, [0.5, 0])).toThrow(/target 0\.5 at position 0/);
    expect(() => crossEntropy(z, [NaN, 0])).toThrow(/target NaN/);
    expect(() => crossEntropy(z, [0])).toThrow('crossEntropy: 1 targets for a batch of 2 (logits [2,3])');
    expect(() => crossEntropy(tensor([0.1, 0.2]), [0])).toThrow(/logits must be \[N, C\], got \[2\]/);
    expect(() => crossEntropy(z, [0, 1], 'avg' as Reduction)).toThrow(/unknown reduction 'avg'/);
    try {
      crossEntropy(z, [0, 7]);
    } catch (e) {
      expect(e).toBeInstanceOf(CamlabError);
    }
  });
});

describe('mseLoss', () => {
  it('mean, sum and none of squared differences, gradient 2(a − b)/n', () => {
    const a = requiresGrad(tensor([1, 2, 3]));
    const b = tensor([0, 4, 3]);
    expect(mseLoss(a, b).item()).toBeCloseTo(5 / 3, 15);
    expect(mseLoss(a, b, 'sum').item()).toBe(5);
    expect(Array.from(mseLoss(a, b, 'none').data)).toEqual([1, 4, 0]);
    const [g] = grad(mseLoss(a, b), a);
    expectClose(g!.data, [2 / 3, -4 / 3, 0], 1e-15, 1e-15);
  });
});

/** A parameter with a settable gradient. */
function param(values: number[]): Tensor {
  return requiresGrad(tensor(values));
}

function setGrad(p: Tensor, g: number[]): void {
  p.grad = tensor(g);
}

/** Deterministic gradient sequence for step k. */
const gradAt = (k: number, n: number): number[] => Array.from({ length: n }, (_, j) => Math.sin(1.3 * k + 0.7 * j) + 0.1 * j);

/** torch.optim.SGD, written out (buf starts as the first gradient, dampening 0). */
function refSGD(p0: number[], steps: number, o: Required<SGDOptions>): number[] {
  const p = [...p0];
  let buf: number[] | null = null;
  for (let k = 0; k < steps; k++) {
    const g = gradAt(k, p.length).map((v, j) => v + o.weightDecay * p[j]!);
    let d = g;
    if (o.momentum !== 0) {
      buf = buf === null ? [...g] : buf.map((b, j) => o.momentum * b + g[j]!);
      d = o.nesterov ? g.map((v, j) => v + o.momentum * buf![j]!) : buf;
    }
    for (let j = 0; j < p.length; j++) p[j] = p[j]! - o.lr * d[j]!;
  }
  return p;
}

/** torch.optim.Adam / AdamW (decoupled; amsgrad off), written out as PyTorch's single-tensor implementation. */
function refAdam(p0: number[], steps: number, o: Required<AdamOptions>): number[] {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  const [b1, b2] = o.betas;
  for (let t = 1; t <= steps; t++) {
    if (o.decoupled) for (let j = 0; j < p.length; j++) p[j] = p[j]! * (1 - o.lr * o.weightDecay);
    const g = gradAt(t - 1, p.length).map((x, j) => x + (o.decoupled ? 0 : o.weightDecay * p[j]!));
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    for (let j = 0; j < p.length; j++) {
      m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
      v[j] = b2 * v[j]! + (1 - b2) * g[j]! * g[j]!;
      const denom = Math.sqrt(v[j]!) / Math.sqrt(bc2) + o.eps;
      p[j] = p[j]! - (o.lr / bc1) * (m[j]! / denom);
    }
  }
  return p;
}

describe('SGD', () => {
  it('momentum 0.9 on a constant gradient: hand-computed steps', () => {
    const p = param([1]);
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    const expected = [0.95, 0.855, 0.7195];
    for (const e of expected) {
      setGrad(p, [0.5]);
      opt.step();
      expect(p.data[0]).toBeCloseTo(e, 14);
    }
  });

  const configs: Array<Required<SGDOptions>> = [
    { lr: 0.1, momentum: 0, weightDecay: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, weightDecay: 0, nesterov: false },
    { lr: 0.05, momentum: 0.9, weightDecay: 0.01, nesterov: false },
    { lr: 0.02, momentum: 0.8, weightDecay: 0.1, nesterov: true },
    { lr: 0.3, momentum: 0, weightDecay: 0.5, nesterov: false },
  ];
  it.each(configs.map((c) => [JSON.stringify(c), c] as const))('matches PyTorch\'s update for 5 steps: %s', (_, c) => {
    const p0 = [0.5, -1, 2, 0];
    const p = param(p0);
    const opt = new SGD([p], c);
    for (let k = 0; k < 5; k++) {
      opt.zeroGrad();
      expect(p.grad).toBeNull();
      setGrad(p, gradAt(k, 4));
      opt.step();
    }
    expectClose(p.data, refSGD(p0, 5, c), 1e-15, 1e-14);
  });

  it('skips parameters without a gradient and validates its arguments', () => {
    const a = param([1, 2]);
    const b = param([3]);
    const opt = new SGD([a, b], { lr: 0.1 });
    setGrad(a, [1, 1]);
    opt.step();
    expect(Array.from(a.data)).toEqual([0.9, 1.9]);
    expect(Array.from(b.data)).toEqual([3]);
    expect(() => new SGD([a], { lr: 0 })).toThrow(/SGD: learning rate must be > 0, got 0/);
    expect(() => new SGD([], { lr: 1 })).toThrow(/Optimizer: needs at least one parameter/);
    a.grad = zeros([3]);
    expect(() => opt.step()).toThrow(/parameter 0 \[2\] has a gradient of shape \[3\]/);
  });

  it('setLearningRate takes effect on the next step', () => {
    const p = param([1]);
    const opt = new SGD([p], { lr: 0.1 });
    opt.setLearningRate(0.5);
    setGrad(p, [1]);
    opt.step();
    expect(p.data[0]).toBe(0.5);
  });
});

describe('Adam', () => {
  const configs: Array<Required<AdamOptions>> = [
    { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupled: false },
    { lr: 0.1, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0, decoupled: false },
    { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05, decoupled: false },
    { lr: 0.01, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.05, decoupled: true },
    { lr: 0.2, betas: [0.9, 0.98], eps: 1e-8, weightDecay: 0.5, decoupled: true },
  ];
  it.each(configs.map((c) => [JSON.stringify(c), c] as const))('matches PyTorch\'s update for 6 steps: %s', (_, c) => {
    const p0 = [0.5, -1, 2, 0, 1e-3];
    const p = param(p0);
    const opt = new Adam([p], c);
    for (let k = 0; k < 6; k++) {
      opt.zeroGrad();
      setGrad(p, gradAt(k, 5));
      opt.step();
    }
    expectClose(p.data, refAdam(p0, 6, c), 1e-15, 1e-13);
  });

  it('first step moves each coordinate by about lr·sign(g) (bias correction)', () => {
    const p = param([0, 0, 0]);
    const opt = new Adam([p], { lr: 0.01 });
    setGrad(p, [3, -0.001, 1e-3]);
    opt.step();
    expectClose(p.data, [-0.01, 0.01, -0.01], 1e-7, 1e-5);
  });

  it('defaults and validation', () => {
    const p = param([1]);
    expect(() => new Adam([p], { lr: -1 })).toThrow(/Adam: learning rate must be > 0/);
    expect(() => new Adam([p], { weightDecay: -0.1 })).toThrow(/Adam: weight decay must be >= 0, got -0.1/);
    const opt = new Adam([p]);
    setGrad(p, [1]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(1 - 1e-3, 10);
  });
});
