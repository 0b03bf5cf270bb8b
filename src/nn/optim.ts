import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';

/** Base of the optimizers: holds parameters and clears their gradients. */
export abstract class Optimizer {
  readonly params: readonly Tensor[];

  constructor(params: readonly Tensor[]) {
    if (params.length === 0) fail('Optimizer', 'needs at least one parameter');
    this.params = params;
  }

  /** Forgets accumulated gradients (call before each backward pass). */
  zeroGrad(): void {
    for (const p of this.params) p.grad = null;
  }

  /** Applies one update from each parameter's `.grad` (parameters without a gradient are skipped). */
  abstract step(): void;

  protected gradOf(p: Tensor, i: number): Float64Array | Float32Array | null {
    const g = p.grad;
    if (g === null) return null;
    if (g.size !== p.size) fail('Optimizer.step', `parameter ${i} ${shapeStr(p.shape)} has a gradient of shape ${shapeStr(g.shape)}`);
    return g.data;
  }
}

export interface SGDOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/**
 * SGD with momentum and weight decay (PyTorch's update): g ← g + λp; v ← μv + g;
 * p ← p − lr·(nesterov ? g + μv : v).
 */
export class SGD extends Optimizer {
  private readonly opts: Required<SGDOptions>;
  private readonly velocity: Float64Array[];

  constructor(params: readonly Tensor[], opts: SGDOptions) {
    super(params);
    if (!(opts.lr > 0)) fail('SGD', `learning rate must be > 0, got ${opts.lr}`);
    this.opts = { momentum: 0, weightDecay: 0, nesterov: false, ...opts };
    this.velocity = params.map((p) => new Float64Array(p.size));
  }

  step(): void {
    const { lr, momentum: mu, weightDecay: wd, nesterov } = this.opts;
    this.params.forEach((p, i) => {
      const g = this.gradOf(p, i);
      if (g === null) return;
      const v = this.velocity[i]!;
      const d = p.data;
      for (let j = 0; j < d.length; j++) {
        const gj = g[j]! + wd * d[j]!;
        if (mu !== 0) {
          v[j] = mu * v[j]! + gj;
          d[j] = d[j]! - lr * (nesterov ? gj + mu * v[j]! : v[j]!);
        } else {
          d[j] = d[j]! - lr * gj;
        }
      }
    });
  }

  setLearningRate(lr: number): void {
    this.opts.lr = lr;
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  /**
   * Decoupled weight decay (AdamW, Loshchilov & Hutter 2019, as torch.optim.AdamW): p ← p − lr·λ·p
   * before the Adam step, g left alone. Default false: λ·p is added to g (L2, torch.optim.Adam).
   */
  decoupled?: boolean;
}

/**
 * Adam (Kingma & Ba): m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², p ← p − lr·m̂/(√v̂ + eps) with
 * bias-corrected m̂, v̂; weight decay added to g (L2, as torch.optim.Adam), or applied to p
 * directly with `decoupled` (AdamW).
 */
export class Adam extends Optimizer {
  private lr: number;
  private readonly b1: number;
  private readonly b2: number;
  private readonly eps: number;
  private readonly wd: number;
  private readonly decoupled: boolean;
  private t = 0;
  private readonly m: Float64Array[];
  private readonly v: Float64Array[];

  constructor(params: readonly Tensor[], opts: AdamOptions = {}) {
    super(params);
    this.lr = opts.lr ?? 1e-3;
    [this.b1, this.b2] = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.wd = opts.weightDecay ?? 0;
    this.decoupled = opts.decoupled ?? false;
    if (!(this.lr > 0)) fail('Adam', `learning rate must be > 0, got ${this.lr}`);
    if (!(this.wd >= 0)) fail('Adam', `weight decay must be >= 0, got ${this.wd}`);
    this.m = params.map((p) => new Float64Array(p.size));
    this.v = params.map((p) => new Float64Array(p.size));
  }

  step(): void {
    this.t++;
    const c1 = 1 - Math.pow(this.b1, this.t);
    const c2 = 1 - Math.pow(this.b2, this.t);
    this.params.forEach((p, i) => {
      const g = this.gradOf(p, i);
      if (g === null) return;
      const m = this.m[i]!;
      const v = this.v[i]!;
      const d = p.data;
      const l2 = this.decoupled ? 0 : this.wd;
      const shrink = this.decoupled ? 1 - this.lr * this.wd : 1;
      for (let j = 0; j < d.length; j++) {
        if (shrink !== 1) d[j] = d[j]! * shrink;
        const gj = g[j]! + l2 * d[j]!;
        m[j] = this.b1 * m[j]! + (1 - this.b1) * gj;
        v[j] = this.b2 * v[j]! + (1 - this.b2) * gj * gj;
        d[j] = d[j]! - (this.lr * (m[j]! / c1)) / (Math.sqrt(v[j]! / c2) + this.eps);
      }
    });
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }
}
