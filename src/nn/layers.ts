import { channelAffine } from '../autodiff/ops/affine.js';
import { batchNorm } from '../autodiff/ops/batch-norm.js';
import { add, mul, div } from '../autodiff/ops/elementwise.js';
import { conv2d, type Conv2dOptions } from '../autodiff/ops/conv.js';
import { resolvePair } from '../tensor/conv.js';
import { matmul } from '../autodiff/ops/linalg.js';
import { flatten, reshape } from '../autodiff/ops/movement.js';
import { mean, softmax } from '../autodiff/ops/reduce.js';
import { gelu, relu, sigmoid, sqrt, tanh } from '../autodiff/ops/unary.js';
import { noGrad } from '../autodiff/mode.js';
import { full, ones, zeros } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultBound, initRng, uniformInit } from './init.js';
import { canFuseConv, convLayerInference, fusedConv, runFusedChain } from './fused.js';
import { Module } from './module.js';
import { fmtPair, pair, type Pair } from './pair.js';

export { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d, Pool2d, type PoolingKind, type PoolingOptions } from './pooling.js';


export interface LayerInit {
  /** Generator for the initial weights (default: the seeded global one, see manualSeed). */
  rng?: Rng;
  dtype?: DType;
}

export interface Conv2dLayerOptions extends LayerInit {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

/** 2-D convolution layer: y = conv2d(x, W) + b with W [out, in/groups, kh, kw] (PyTorch layout and init). */
export class Conv2d extends Module {
  readonly kind = 'Conv2d';
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: [number, number];
  readonly options: Conv2dOptions;

  constructor(inChannels: number, outChannels: number, kernelSize: Pair, opts: Conv2dLayerOptions = {}) {
    super();
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1) fail('Conv2d', `groups must be a positive integer, got ${groups}`);
    if (!Number.isInteger(inChannels) || !Number.isInteger(outChannels) || inChannels < 1 || outChannels < 1) {
      fail('Conv2d', `channel counts must be positive integers, got in=${inChannels}, out=${outChannels}`);
    }
    if (inChannels % groups !== 0 || outChannels % groups !== 0) fail('Conv2d', `groups=${groups} must divide in=${inChannels} and out=${outChannels}`);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    // Validate the geometry here, so a bad layer fails when it is built (not at its first call).
    this.kernelSize = resolvePair('Conv2d', 'kernel size', kernelSize, 1, 1);
    this.options = {
      stride: resolvePair('Conv2d', 'stride', opts.stride, 1, 1),
      padding: resolvePair('Conv2d', 'padding', opts.padding, 0, 0),
      dilation: resolvePair('Conv2d', 'dilation', opts.dilation, 1, 1),
      groups,
    };
    const rng = initRng(opts.rng);
    const [kh, kw] = this.kernelSize;
    const fanIn = (inChannels / groups) * kh * kw;
    const bound = defaultBound(fanIn);
    this.registerParameter('weight', uniformInit([outChannels, inChannels / groups, kh, kw], bound, rng, opts.dtype));
    if (opts.bias ?? true) this.registerParameter('bias', uniformInit([outChannels], bound, rng, opts.dtype));
  }

  get weight(): Tensor {
    return this.param('weight');
  }

  get bias(): Tensor | null {
    return this.hasTensor('bias') ? this.param('bias') : null;
  }

  forward(x: Tensor): Tensor {
    return convLayerInference(this, x) ?? conv2d(x, this.weight, this.bias, this.options);
  }

  override describe(): string {
    const o = this.options;
    const extra = [
      o.stride !== undefined && pair(o.stride).some((v) => v !== 1) ? `stride=${fmtPair(o.stride)}` : '',
      o.padding !== undefined && pair(o.padding).some((v) => v !== 0) ? `padding=${fmtPair(o.padding)}` : '',
      o.dilation !== undefined && pair(o.dilation).some((v) => v !== 1) ? `dilation=${fmtPair(o.dilation)}` : '',
      (o.groups ?? 1) !== 1 ? `groups=${o.groups}` : '',
      this.bias === null ? 'bias=false' : '',
    ].filter((s) => s !== '');
    return `Conv2d(${this.inChannels}, ${this.outChannels}, kernel=${fmtPair(this.kernelSize)}${extra.map((e) => `, ${e}`).join('')})`;
  }
}

/** Fully connected layer: y = x Wᵀ + b with W [out, in] (PyTorch layout and init). */
export class Linear extends Module {
  readonly kind = 'Linear';
  readonly inFeatures: number;
  readonly outFeatures: number;

  constructor(inFeatures: number, outFeatures: number, opts: LayerInit & { bias?: boolean } = {}) {
    super();
    if (!Number.isInteger(inFeatures) || !Number.isInteger(outFeatures) || inFeatures < 1 || outFeatures < 1) {
      fail('Linear', `feature counts must be positive integers, got in=${inFeatures}, out=${outFeatures}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = initRng(opts.rng);
    const bound = defaultBound(inFeatures);
    this.registerParameter('weight', uniformInit([outFeatures, inFeatures], bound, rng, opts.dtype));
    if (opts.bias ?? true) this.registerParameter('bias', uniformInit([outFeatures], bound, rng, opts.dtype));
  }

  get weight(): Tensor {
    return this.param('weight');
  }

  get bias(): Tensor | null {
    return this.hasTensor('bias') ? this.param('bias') : null;
  }

  forward(x: Tensor): Tensor {
    if (x.shape[x.ndim - 1] !== this.inFeatures) {
      fail('Linear', `input has ${String(x.shape[x.ndim - 1])} features, layer expects ${this.inFeatures} (input ${shapeStr(x.shape)}, weight [${this.outFeatures},${this.inFeatures}])`);
    }
    const y = matmul(x, this.weight, { transB: true });
    const b = this.bias;
    return b === null ? y : add(y, b);
  }

  override describe(): string {
    return `Linear(${this.inFeatures}, ${this.outFeatures}${this.bias === null ? ', bias=false' : ''})`;
  }
}

/** ReLU(x) = max(x, 0), element-wise (relu'(0) = 0). */
export class ReLU extends Module {
  readonly kind = 'ReLU';
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/** σ(x) = 1/(1 + e^(−x)), element-wise. */
export class Sigmoid extends Module {
  readonly kind = 'Sigmoid';
  forward(x: Tensor): Tensor {
    return sigmoid(x);
  }
}

/** tanh x, element-wise. */
export class Tanh extends Module {
  readonly kind = 'Tanh';
  forward(x: Tensor): Tensor {
    return tanh(x);
  }
}

/** GELU(x) = x·Φ(x) = x/2·(1 + erf(x/√2)), element-wise (the exact erf form, PyTorch's default). */
export class GELU extends Module {
  readonly kind = 'GELU';
  forward(x: Tensor): Tensor {
    return gelu(x);
  }
}

/** softmax(x)_i = e^(x_i) / Σ_j e^(x_j) along `dim` (default the last). */
export class Softmax extends Module {
  readonly kind = 'Softmax';
  constructor(readonly dim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return softmax(x, this.dim);
  }
  override describe(): string {
    return `Softmax(dim=${this.dim})`;
  }
}

/** y = x (a placeholder that keeps state-dict indices, as torch.nn.Identity). */
export class Identity extends Module {
  readonly kind = 'Identity';
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Global average pooling [N,C,H,W] → [N,C] (mean over the spatial axes). */
export class GlobalAvgPool extends Module {
  readonly kind = 'GlobalAvgPool';
  forward(x: Tensor): Tensor {
    if (x.ndim !== 4) fail('GlobalAvgPool', `expects a 4-D input [N,C,H,W], got ${shapeStr(x.shape)}`);
    return mean(x, [2, 3]);
  }
}

/** Flattens dimensions startDim..endDim (default 1..-1, keeping the batch). */
export class Flatten extends Module {
  readonly kind = 'Flatten';
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

/**
 * Batch normalization over [N,C,H,W]: in training, y = (x − mean_B)/√(var_B + eps)·γ + β with
 * biased batch variance, and running statistics updated with momentum (unbiased variance, as
 * PyTorch); in eval, the running statistics are used.
 */
export class BatchNorm2d extends Module {
  readonly kind = 'BatchNorm2d';
  readonly numFeatures: number;
  readonly eps: number;
  readonly momentum: number;

  constructor(numFeatures: number, opts: { eps?: number; momentum?: number; dtype?: DType } = {}) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) fail('BatchNorm2d', `number of features must be a positive integer, got ${numFeatures}`);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (!(this.eps > 0) || !Number.isFinite(this.eps)) fail('BatchNorm2d', `eps must be a positive number, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) fail('BatchNorm2d', `momentum must be in [0, 1], got ${this.momentum}`);
    const dtype = opts.dtype ?? 'float64';
    this.registerParameter('weight', ones([numFeatures], { dtype }));
    this.registerParameter('bias', zeros([numFeatures], { dtype }));
    this.registerBuffer('running_mean', zeros([numFeatures], { dtype }));
    this.registerBuffer('running_var', ones([numFeatures], { dtype }));
    this.registerBuffer('num_batches_tracked', zeros([], { dtype }));
  }

  /** The eval-mode map y = (x − mean)·scale + shift per channel: mean = μ, scale = γ/√(σ² + eps), shift = β, each [1,C,1,1]. */
  evalAffine(): { mean: Tensor; scale: Tensor; shift: Tensor } {
    const c = [1, this.numFeatures, 1, 1];
    const gamma = reshape(this.param('weight'), c);
    const rv = reshape(this.buffer('running_var'), c);
    return { mean: reshape(this.buffer('running_mean'), c), scale: div(gamma, sqrt(add(rv, this.eps))), shift: reshape(this.param('bias'), c) };
  }

  forward(x: Tensor): Tensor {
    if (x.ndim !== 4 || x.shape[1] !== this.numFeatures) {
      fail('BatchNorm2d', `expects [N,${this.numFeatures},H,W], got ${shapeStr(x.shape)}`);
    }
    if (!this.training) {
      // y = (x − μ)·γ/√(σ² + eps) + β, one pass over x
      const { mean: rm, scale, shift } = this.evalAffine();
      return channelAffine(x, rm, scale, shift);
    }
    const c = [1, this.numFeatures, 1, 1];
    const gamma = reshape(this.param('weight'), c);
    const beta = reshape(this.param('bias'), c);
    const n = x.size / this.numFeatures;
    // As PyTorch: batch statistics of a single value per channel are meaningless.
    if (n < 2) fail('BatchNorm2d', `expected more than 1 value per channel when training, got input ${shapeStr(x.shape)} (use eval mode)`);
    // (x − μ)·γ/√(σ² + eps) + β with the batch's μ and σ², one op (its gradients through μ and σ² included).
    const { y, mean: mu, variance: v } = batchNorm(x, gamma, beta, this.eps);
    noGrad(() => {
      const m = this.momentum;
      const rm = this.buffer('running_mean');
      const rv = this.buffer('running_var');
      for (let i = 0; i < this.numFeatures; i++) {
        rm.data[i] = (1 - m) * rm.data[i]! + m * mu.data[i]!;
        rv.data[i] = (1 - m) * rv.data[i]! + (m * v.data[i]! * n) / (n - 1);
      }
      const nb = this.buffer('num_batches_tracked');
      nb.data[0] = nb.data[0]! + 1;
    });
    return y;
  }

  override describe(): string {
    return `BatchNorm2d(${this.numFeatures})`;
  }
}

/** Dropout with a seeded mask: in training zeroes each element with probability p and scales the rest by 1/(1−p). */
export class Dropout extends Module {
  readonly kind = 'Dropout';
  private readonly rng: Rng;
  constructor(readonly p = 0.5, opts: { rng?: Rng } = {}) {
    super();
    if (!(p >= 0 && p < 1)) fail('Dropout', `probability must be in [0, 1), got ${p}`);
    this.rng = initRng(opts.rng).fork();
  }
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const mask = full(x.shape, 0, { dtype: x.dtype });
    const keep = 1 / (1 - this.p);
    for (let i = 0; i < mask.size; i++) mask.data[i] = this.rng.uniform() < this.p ? 0 : keep;
    return mul(x, mask);
  }
  override describe(): string {
    return `Dropout(p=${this.p})`;
  }
}

/** Runs children in order. Children are named '0', '1', ... or by the names given. */
export class Sequential extends Module {
  readonly kind = 'Sequential';
  private readonly order: Module[] = [];

  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.append(String(i), m));
  }

  /** A Sequential with named children, e.g. [['features', f], ['classifier', c]]. */
  static named(entries: ReadonlyArray<readonly [string, Module]>): Sequential {
    const s = new Sequential();
    for (const [n, m] of entries) s.append(n, m);
    return s;
  }

  append(name: string, m: Module): this {
    this.registerModule(name, m);
    this.order.push(m);
    return this;
  }

  get length(): number {
    return this.order.length;
  }

  forward(x: Tensor): Tensor {
    let h = x;
    for (let i = 0; i < this.order.length; ) {
      // Inference: conv → batch norm → relu runs as one call where no hook watches inside it.
      const fused = runFusedChain(this.order, i, h);
      if (fused !== null) {
        h = fused.out;
        i = fused.next;
      } else h = this.order[i++]!.call(h);
    }
    return h;
  }
}

/**
 * ResNet basic block (He et al. 2016), named as torchvision: conv1-bn1-relu-conv2-bn2, plus the
 * skip path (identity, or `downsample` = 1x1 conv + batch norm when stride or width changes),
 * then relu.
 */
export class BasicBlock extends Module {
  readonly kind = 'BasicBlock';
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | null;

  constructor(inChannels: number, outChannels: number, opts: LayerInit & { stride?: number } = {}) {
    super();
    const { stride = 1, ...init } = opts;
    const bn = init.dtype === undefined ? {} : { dtype: init.dtype };
    this.conv1 = this.registerModule('conv1', new Conv2d(inChannels, outChannels, 3, { ...init, stride, padding: 1, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(outChannels, bn));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', new Conv2d(outChannels, outChannels, 3, { ...init, padding: 1, bias: false }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(outChannels, bn));
    this.downsample =
      stride !== 1 || inChannels !== outChannels
        ? this.registerModule('downsample', new Sequential(new Conv2d(inChannels, outChannels, 1, { ...init, stride, bias: false }), new BatchNorm2d(outChannels, bn)))
        : null;
  }

  forward(x: Tensor): Tensor {
    // Inference: each conv with its batch norm (and the residual) and relu in one call.
    const h = fusedConv(this.conv1, this.bn1, this.relu, x, null) ?? this.relu.call(this.bn1.call(this.conv1.call(x)));
    const skipOf = (): Tensor => (this.downsample === null ? x : this.downsample.call(x));
    if (canFuseConv(this.conv2, this.bn2, this.relu)) {
      const skip = skipOf();
      return fusedConv(this.conv2, this.bn2, this.relu, h, skip) ?? this.relu.call(add(this.bn2.call(this.conv2.call(h)), skip));
    }
    const y = this.bn2.call(this.conv2.call(h));
    return this.relu.call(add(y, skipOf()));
  }
}
