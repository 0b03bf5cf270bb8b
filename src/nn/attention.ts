import { add, div } from '../autodiff/ops/elementwise.js';
import { matmul } from '../autodiff/ops/linalg.js';
import { permute, reshape, slice } from '../autodiff/ops/movement.js';
import { softmax } from '../autodiff/ops/reduce.js';
import { zeros } from '../tensor/create.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { initRng } from './init.js';
import { xavierUniformInit } from './init-vit.js';
import { Dropout, Linear, type LayerInit } from './layers.js';
import { Module } from './module.js';

/** The projections of a multi-head self-attention, in PyTorch's packed layout. */
export interface AttentionWeights {
  /** [3D, D]: rows 0..D−1 project queries, D..2D−1 keys, 2D..3D−1 values. */
  inProjWeight: Tensor;
  inProjBias: Tensor | null;
  /** [D, D]. */
  outProjWeight: Tensor;
  outProjBias: Tensor | null;
}

/** x Wᵀ + b over the last axis. */
function project(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const y = matmul(x, w, { transB: true });
  return b === null ? y : add(y, b);
}

/**
 * Multi-head scaled dot-product self-attention (Vaswani et al. 2017), as torch.nn.MultiheadAttention
 * with batch_first and query = key = value = x [N, T, D]:
 *   [Q K V] = x W_inᵀ + b_in, split into H heads of width d = D/H (head h owns columns h·d..(h+1)·d−1),
 *   P = softmax(Q_h K_hᵀ / √d) over the keys  [N, H, T, T],
 *   out = concat_h(P_h V_h) W_outᵀ + b_out  [N, T, D].
 * `onProbabilities` sees P and may return a replacement (same [·, H, T, T] shape; its batch may be
 * larger than x's and broadcasts through the rest), which is how the attention is captured or
 * made the variable of a CAM. With `queries` = q < T only the first q tokens query (P is
 * [N, H, q, T], the output [N, q, D]); every token is still a key and a value.
 */
export function multiheadSelfAttention(x: Tensor, heads: number, w: AttentionWeights, onProbabilities?: (p: Tensor) => Tensor, queries?: number): Tensor {
  if (x.ndim !== 3) fail('multiheadSelfAttention', `expects tokens [N,T,D], got ${shapeStr(x.shape)}`);
  const [n, t, dim] = x.shape as [number, number, number];
  if (w.inProjWeight.ndim !== 2 || w.inProjWeight.shape[0] !== 3 * dim || w.inProjWeight.shape[1] !== dim) {
    fail('multiheadSelfAttention', `in_proj_weight must be [${3 * dim},${dim}] for tokens ${shapeStr(x.shape)}, got ${shapeStr(w.inProjWeight.shape)}`);
  }
  if (!Number.isInteger(heads) || heads < 1 || dim % heads !== 0) fail('multiheadSelfAttention', `${heads} heads do not divide the embedding width ${dim}`);
  const d = dim / heads;
  const q = queries ?? t;
  if (!Number.isInteger(q) || q < 1 || q > t) fail('multiheadSelfAttention', `queries must be an integer in [1, ${t}], got ${q}`);
  // [N,T,3D] → [3, N, H, T, d]: the packed projections, then heads, as torch's view + transpose.
  const qkv = permute(reshape(project(x, w.inProjWeight, w.inProjBias), [n, t, 3, heads, d]), [2, 0, 3, 1, 4]);
  const part = (i: number, rows: number): Tensor => reshape(slice(qkv, [[i, i + 1], null, null, [0, rows], null]), [n, heads, rows, d]);
  const scores = matmul(div(part(0, q), Math.sqrt(d)), part(1, t), { transB: true });
  let p = softmax(scores, -1);
  if (onProbabilities !== undefined) {
    p = onProbabilities(p);
    if (p.ndim !== 4 || p.shape[1] !== heads || p.shape[2] !== q || p.shape[3] !== t) {
      fail('multiheadSelfAttention', `replaced attention probabilities must be [B,${heads},${q},${t}], got ${shapeStr(p.shape)}`);
    }
  }
  const context = matmul(p, part(2, t)); // [B, H, q, d]; B = N, or the replacement's batch
  const b = context.shape[0]!;
  return project(reshape(permute(context, [0, 2, 1, 3]), [b, q, dim]), w.outProjWeight, w.outProjBias);
}

/**
 * The attention probabilities P [N, H, T, T] of a MultiheadAttention, as a module of their own (an
 * identity): its forward hooks see P, and a hook that returns a tensor replaces P for the rest of
 * the network. It holds no tensors, so state-dict keys are unchanged.
 */
export class AttentionProbabilities extends Module {
  readonly kind: string = 'AttentionProbabilities';

  /** [N, H, S, S] is 4-D but no feature map: heads are not channels, and S×S is not the image. */
  override get featureMap(): boolean {
    return false;
  }

  forward(p: Tensor): Tensor {
    return p;
  }
}

export interface MultiheadAttentionOptions extends LayerInit {
  /** Dropout on the attention probabilities in training (applied after the `attn` tap; default 0). */
  dropout?: number;
  /** Biases of the projections (default true). */
  bias?: boolean;
}

/**
 * torch.nn.MultiheadAttention for self-attention with batch_first = true ({@link multiheadSelfAttention}),
 * with its state-dict keys: `in_proj_weight` [3D, D], `in_proj_bias` [3D], `out_proj.weight`,
 * `out_proj.bias`. Child `attn` ({@link AttentionProbabilities}) exposes the probabilities to hooks.
 * Initialization as PyTorch: Xavier-uniform in_proj_weight, zero biases, default Linear out_proj weight.
 */
export class MultiheadAttention extends Module {
  readonly kind = 'MultiheadAttention';
  readonly embedDim: number;
  readonly numHeads: number;
  readonly outProj: Linear;
  readonly attn: AttentionProbabilities;
  readonly dropout: Dropout;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    if (!Number.isInteger(embedDim) || embedDim < 1) fail('MultiheadAttention', `embedding width must be a positive integer, got ${embedDim}`);
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) fail('MultiheadAttention', `number of heads must be a positive integer dividing the embedding width ${embedDim}, got ${numHeads}`);
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    const rng = initRng(opts.rng);
    const bias = opts.bias ?? true;
    const dtype = opts.dtype ?? 'float64';
    this.registerParameter('in_proj_weight', xavierUniformInit([3 * embedDim, embedDim], rng, dtype));
    if (bias) this.registerParameter('in_proj_bias', zeros([3 * embedDim], { dtype }));
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { rng, bias, dtype }));
    this.outProj.bias?.data.fill(0);
    this.attn = this.registerModule('attn', new AttentionProbabilities());
    this.dropout = this.registerModule('dropout', new Dropout(opts.dropout ?? 0, { rng }));
  }

  /** The packed projections, for {@link multiheadSelfAttention}. */
  weights(): AttentionWeights {
    return {
      inProjWeight: this.param('in_proj_weight'),
      inProjBias: this.hasTensor('in_proj_bias') ? this.param('in_proj_bias') : null,
      outProjWeight: this.outProj.weight,
      outProjBias: this.outProj.bias,
    };
  }

  forward(x: Tensor): Tensor {
    return this.attend(x);
  }

  /** Self-attention where only the first `queries` tokens query (default all): output [N, queries, D]. */
  attend(x: Tensor, queries?: number): Tensor {
    if (x.ndim !== 3 || x.shape[2] !== this.embedDim) fail('MultiheadAttention', `expects tokens [N,T,${this.embedDim}], got ${shapeStr(x.shape)}`);
    return multiheadSelfAttention(x, this.numHeads, this.weights(), (p) => this.dropout.call(this.attn.call(p)), queries);
  }

  override describe(): string {
    const extra = this.dropout.p > 0 ? `, dropout=${this.dropout.p}` : '';
    return `MultiheadAttention(${this.embedDim}, heads=${this.numHeads}${extra}${this.hasTensor('in_proj_bias') ? '' : ', bias=false'})`;
  }
}
