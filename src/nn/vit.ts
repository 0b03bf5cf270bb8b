import { add } from '../autodiff/ops/elementwise.js';
import { reshape, slice } from '../autodiff/ops/movement.js';
import { zeros } from '../tensor/create.js';
import type { DType } from '../tensor/dtype.js';
import { fail, shapeStr } from '../tensor/errors.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { MultiheadAttention } from './attention.js';
import { initRng } from './init.js';
import { normalInit, truncNormalInit, xavierUniformInit } from './init-vit.js';
import { LayerNorm } from './layernorm.js';
import { BatchNorm2d, Conv2d, Dropout, GELU, Linear, ReLU, Sequential, type LayerInit } from './layers.js';
import { Module } from './module.js';
import { GRID_SUFFIX, TokenGrid, withGridViews } from './token-grid.js';
import { patchesToTokens, prependClassToken } from './tokens.js';

/** Vision Transformer (Dosovitskiy et al., "An Image is Worth 16x16 Words", ICLR 2021), laid out as torchvision 0.14. */

export interface EncoderOptions extends LayerInit {
  /** Dropout after attention, in the MLP and on the embedded tokens (default 0). */
  dropout?: number;
  /** Dropout on the attention probabilities (default 0). */
  attentionDropout?: number;
  /** LayerNorm eps (default 1e-6, torchvision's ViT). */
  eps?: number;
}

function lnOptions(opts: EncoderOptions): { eps: number; dtype: DType } {
  return { eps: opts.eps ?? 1e-6, dtype: opts.dtype ?? 'float64' };
}

/** A Linear with torchvision's MLPBlock init: Xavier-uniform weight, N(0, 1e-12) bias. */
function mlpLinear(inFeatures: number, outFeatures: number, rng: Rng, dtype: DType): Linear {
  const lin = new Linear(inFeatures, outFeatures, { rng, dtype });
  lin.weight.data.set(xavierUniformInit([outFeatures, inFeatures], rng, dtype).data);
  lin.bias!.data.set(normalInit([outFeatures], 1e-6, rng, dtype).data);
  return lin;
}

/**
 * Pre-norm transformer encoder block (torchvision EncoderBlock):
 *   x = dropout(MHA(ln_1(input))) + input,  out = x + mlp(ln_2(x)),
 *   mlp = Linear(D, M) → GELU → Dropout → Linear(M, D) → Dropout  (keys mlp.0, mlp.3).
 */
export class EncoderBlock extends Module {
  readonly kind = 'EncoderBlock';
  readonly ln1: LayerNorm;
  readonly selfAttention: MultiheadAttention;
  readonly dropout: Dropout;
  readonly ln2: LayerNorm;
  readonly mlp: Sequential;

  constructor(numHeads: number, hiddenDim: number, mlpDim: number, opts: EncoderOptions = {}) {
    super();
    if (!Number.isInteger(mlpDim) || mlpDim < 1) fail('EncoderBlock', `MLP width must be a positive integer, got ${mlpDim}`);
    const rng = initRng(opts.rng);
    const dtype = opts.dtype ?? 'float64';
    const p = opts.dropout ?? 0;
    this.ln1 = this.registerModule('ln_1', new LayerNorm(hiddenDim, lnOptions(opts)));
    this.selfAttention = this.registerModule('self_attention', new MultiheadAttention(hiddenDim, numHeads, { rng, dtype, dropout: opts.attentionDropout ?? 0 }));
    this.dropout = this.registerModule('dropout', new Dropout(p, { rng }));
    this.ln2 = this.registerModule('ln_2', new LayerNorm(hiddenDim, lnOptions(opts)));
    this.mlp = this.registerModule('mlp', new Sequential(
      mlpLinear(hiddenDim, mlpDim, rng, dtype), new GELU(), new Dropout(p, { rng }), mlpLinear(mlpDim, hiddenDim, rng, dtype), new Dropout(p, { rng }),
    ));
  }

  forward(input: Tensor): Tensor {
    if (input.ndim !== 3) fail('EncoderBlock', `expects tokens [N,T,D], got ${shapeStr(input.shape)}`);
    const x = add(this.dropout.call(this.selfAttention.call(this.ln1.call(input))), input);
    return add(x, this.mlp.call(this.ln2.call(x)));
  }

  /**
   * The block's output for the first token alone, [N, 1, D]: the same operations with only the
   * class token querying (every token is still a key and a value) and only its row going through
   * the MLP. Hooks would see other tensors than forward's: fails when the block or a module
   * inside it has one.
   */
  classToken(input: Tensor): Tensor {
    if (input.ndim !== 3) fail('EncoderBlock', `expects tokens [N,T,D], got ${shapeStr(input.shape)}`);
    if (this.hasForwardHooks() || this.namedModules().some(([, m]) => m.hasForwardHooks())) fail('EncoderBlock.classToken', 'a hook watches this block or a module inside it; run forward instead');
    const x = add(this.dropout.call(this.selfAttention.attend(this.ln1.call(input), 1)), slice(input, [null, [0, 1], null]));
    return add(x, this.mlp.call(this.ln2.call(x)));
  }
}

/**
 * The encoder (torchvision Encoder): a learned position embedding `pos_embedding` [1, S, D]
 * (init N(0, 0.02²)) added to the tokens, dropout, the blocks `layers.encoder_layer_{i}`, and a
 * final LayerNorm `ln`.
 */
export class TransformerEncoder extends Module {
  readonly kind = 'TransformerEncoder';
  readonly seqLength: number;
  readonly dropout: Dropout;
  readonly layers: Sequential;
  readonly ln: LayerNorm;

  constructor(seqLength: number, numLayers: number, numHeads: number, hiddenDim: number, mlpDim: number, opts: EncoderOptions = {}) {
    super();
    if (!Number.isInteger(seqLength) || seqLength < 1) fail('TransformerEncoder', `sequence length must be a positive integer, got ${seqLength}`);
    if (!Number.isInteger(numLayers) || numLayers < 1) fail('TransformerEncoder', `number of layers must be a positive integer, got ${numLayers}`);
    const rng = initRng(opts.rng);
    this.seqLength = seqLength;
    this.registerParameter('pos_embedding', normalInit([1, seqLength, hiddenDim], 0.02, rng, opts.dtype));
    this.dropout = this.registerModule('dropout', new Dropout(opts.dropout ?? 0, { rng }));
    this.layers = this.registerModule('layers', Sequential.named(
      Array.from({ length: numLayers }, (_, i) => [`encoder_layer_${i}`, new EncoderBlock(numHeads, hiddenDim, mlpDim, { ...opts, rng })] as const),
    ));
    this.ln = this.registerModule('ln', new LayerNorm(hiddenDim, lnOptions(opts)));
  }

  forward(input: Tensor): Tensor {
    return this.ln.call(this.layers.call(this.embed(input)));
  }

  /** The tokens plus the position embedding, after dropout. */
  private embed(input: Tensor): Tensor {
    const pos = this.param('pos_embedding');
    if (input.ndim !== 3 || input.shape[1] !== this.seqLength || input.shape[2] !== pos.shape[2]) {
      fail('TransformerEncoder', `expects tokens [N,${this.seqLength},${pos.shape[2]}], got ${shapeStr(input.shape)}`);
    }
    return this.dropout.call(add(input, pos));
  }

  /**
   * The encoder's output for the class token alone, [N, 1, D]: every block but the last as in
   * forward, the last one for the first token only ({@link EncoderBlock.classToken}), then `ln`.
   * Bypasses the hooks of `layers` and inside the last block: fails unless {@link classTokenOnly}.
   */
  classToken(input: Tensor): Tensor {
    if (!this.classTokenOnly) fail('TransformerEncoder.classToken', 'a hook or token view watches the encoder or its last block; run forward instead');
    const blocks = this.layers.namedChildren().map(([, b]) => b as EncoderBlock);
    let x = this.embed(input);
    for (const b of blocks.slice(0, -1)) x = b.call(x);
    return this.ln.call(blocks[blocks.length - 1]!.classToken(x));
  }

  /**
   * Whether {@link classToken} gives what forward's class token would: nothing watches the
   * output, `layers`, the last block or anything inside it (hooks, token views).
   */
  get classTokenOnly(): boolean {
    const last = this.layers.namedChildren().at(-1)![1];
    return !this.hasForwardHooks() && !this.layers.hasForwardHooks() && !this.ln.hasForwardHooks() && !last.namedModules().some(([, m]) => m.hasForwardHooks());
  }
}

/** One conv → BatchNorm → ReLU layer of a convolutional stem (torchvision's ConvStemConfig with its default norm and activation). */
export interface ConvStemLayer {
  /** Output channels. */
  out: number;
  /** Square kernel (default 3); padding is (kernel − 1)/2, as torchvision's Conv2dNormActivation. */
  kernel?: number;
  stride: number;
}

export interface VisionTransformerConfig extends EncoderOptions {
  /** Side of the square input image. */
  imageSize: number;
  /** Side of the square patches (must divide imageSize). */
  patchSize: number;
  numLayers: number;
  numHeads: number;
  /** Token width D. */
  hiddenDim: number;
  /** Hidden width of each block's MLP. */
  mlpDim: number;
  /** Default 1000, as torchvision. */
  numClasses?: number;
  /** Input channels (default 3, torchvision's only choice). */
  channels?: number;
  /**
   * A convolutional stem instead of the single patch convolution (Xiao et al., "Early Convolutions
   * Help Transformers See Better", NeurIPS 2021; torchvision's `conv_stem_configs`): conv → BN →
   * ReLU layers whose strides multiply to the patch size, then a 1x1 conv to the token width.
   */
  convStem?: readonly ConvStemLayer[];
}

/**
 * torchvision's conv stem, keys `conv_bn_relu_{i}.{0,1}` (conv without bias, BatchNorm2d) and
 * `conv_last` (1x1, with bias; init N(0, 2/D), zero bias); the other convs keep PyTorch's default init.
 */
function convStem(layers: readonly ConvStemLayer[], channels: number, hiddenDim: number, patchSize: number, rng: Rng, dtype: DType): Sequential {
  let prev = channels;
  let stride = 1;
  const entries: Array<readonly [string, Module]> = layers.map((l, i) => {
    const k = l.kernel ?? 3;
    for (const [name, v] of Object.entries({ out: l.out, kernel: k, stride: l.stride })) {
      if (!Number.isInteger(v) || v < 1) fail('VisionTransformer', `conv stem layer ${i}: ${name} must be a positive integer, got ${v}`);
    }
    if (k % 2 === 0) fail('VisionTransformer', `conv stem layer ${i}: kernel must be odd (padding (k − 1)/2 keeps the grid), got ${k}`);
    const conv = new Conv2d(prev, l.out, k, { stride: l.stride, padding: (k - 1) / 2, bias: false, rng, dtype });
    prev = l.out;
    stride *= l.stride;
    return [`conv_bn_relu_${i}`, new Sequential(conv, new BatchNorm2d(l.out, { dtype }), new ReLU())] as const;
  });
  if (stride !== patchSize) fail('VisionTransformer', `the conv stem's strides multiply to ${stride}, not the patch size ${patchSize}`);
  const last = new Conv2d(prev, hiddenDim, 1, { rng, dtype });
  last.weight.data.set(normalInit(last.weight.shape, Math.sqrt(2 / hiddenDim), rng, dtype).data);
  last.bias!.data.fill(0);
  return Sequential.named([...entries, ['conv_last', last]]);
}

/**
 * torchvision.models.VisionTransformer (without the optional pre-logits layer or conv stem), with
 * its state-dict keys: `conv_proj` (the patch embedding: a Conv2d with kernel = stride = patch),
 * `class_token` [1, 1, D], `encoder.*` ({@link TransformerEncoder}), `heads.head`.
 *   tokens = [cls; patchesToTokens(conv_proj(x))],  z = encoder(tokens),  logits = head(z[:, 0]).
 * Weights saved from torchvision with safetensors load unchanged (`loadStateDict`).
 *
 * Its layers include feature-map views ({@link TokenGrid}, `name:grid`, class token dropped,
 * patches on the grid) of the token layers whose patch tokens reach the class score: every
 * block's `ln_1` and the output of every block but the last (whose patch tokens are never read:
 * only the class token goes to the head). CAM methods cut the network there; the last one,
 * `encoder.layers.encoder_layer_{L−1}.ln_1:grid`, is the default CAM layer (DESIGN.md §7).
 */
export class VisionTransformer extends Module {
  readonly kind = 'VisionTransformer';
  readonly config: Readonly<Required<Omit<VisionTransformerConfig, 'rng' | 'dtype' | 'convStem'>>> & { readonly convStem: readonly ConvStemLayer[] | null };
  /** The patch embedding: one Conv2d (kernel = stride = patch), or the conv stem. */
  readonly convProj: Module;
  readonly encoder: TransformerEncoder;
  readonly heads: Sequential;
  /** The token-map views by name (relative to this module). */
  private readonly views = new Map<string, TokenGrid>();

  constructor(config: VisionTransformerConfig) {
    super();
    const { imageSize, patchSize, numLayers, numHeads, hiddenDim, mlpDim } = config;
    const numClasses = config.numClasses ?? 1000;
    const channels = config.channels ?? 3;
    for (const [name, v] of Object.entries({ imageSize, patchSize, numLayers, numHeads, hiddenDim, mlpDim, numClasses, channels })) {
      if (!Number.isInteger(v) || v < 1) fail('VisionTransformer', `${name} must be a positive integer, got ${v}`);
    }
    if (imageSize % patchSize !== 0) fail('VisionTransformer', `patch size ${patchSize} does not divide image size ${imageSize}`);
    const stem = config.convStem === undefined ? null : config.convStem.map((l) => ({ ...l }));
    this.config = { imageSize, patchSize, numLayers, numHeads, hiddenDim, mlpDim, numClasses, channels, dropout: config.dropout ?? 0, attentionDropout: config.attentionDropout ?? 0, eps: config.eps ?? 1e-6, convStem: stem };
    const rng = initRng(config.rng);
    const dtype = config.dtype ?? 'float64';
    if (stem !== null) {
      this.convProj = this.registerModule('conv_proj', convStem(stem, channels, hiddenDim, patchSize, rng, dtype));
    } else {
      const proj = new Conv2d(channels, hiddenDim, patchSize, { stride: patchSize, rng, dtype });
      // torchvision: trunc_normal_(std = √(1/fan_in)) weight, zero bias.
      proj.weight.data.set(truncNormalInit(proj.weight.shape, Math.sqrt(1 / (channels * patchSize * patchSize)), rng, dtype).data);
      proj.bias!.data.fill(0);
      this.convProj = this.registerModule('conv_proj', proj);
    }
    this.registerParameter('class_token', zeros([1, 1, hiddenDim], { dtype }));
    const grid = imageSize / patchSize;
    this.encoder = this.registerModule('encoder', new TransformerEncoder(grid * grid + 1, numLayers, numHeads, hiddenDim, mlpDim, { ...config, rng, dtype }));
    const head = new Linear(hiddenDim, numClasses, { rng, dtype });
    head.weight.data.fill(0); // torchvision zeroes the classifier
    head.bias!.data.fill(0);
    this.heads = this.registerModule('heads', Sequential.named([['head', head]]));
    const blocks = this.encoder.layers.namedChildren();
    blocks.forEach(([name, block], i) => {
      const path = `encoder.layers.${name}`;
      if (i < blocks.length - 1) this.views.set(path, new TokenGrid(block, 1, this.patchGrid, 'TokenGrid', path + GRID_SUFFIX));
      this.views.set(`${path}.ln_1`, new TokenGrid((block as EncoderBlock).ln1, 1, this.patchGrid, 'TokenGrid', `${path}.ln_1${GRID_SUFFIX}`));
    });
  }

  /** Every layer, with each token-map view `name:grid` right after its token layer. */
  override namedModules(prefix = ''): Array<[string, Module]> {
    const at = (n: string): string => (prefix === '' ? n : `${prefix}.${n}`);
    return withGridViews(super.namedModules(prefix), new Map([...this.views].map(([n, v]) => [at(n), v])));
  }

  /** The patch grid [h, w] the tokens come from (image size / patch size on each side). */
  get patchGrid(): [number, number] {
    const g = this.config.imageSize / this.config.patchSize;
    return [g, g];
  }

  forward(x: Tensor): Tensor {
    const { channels: c, imageSize: s } = this.config;
    if (x.ndim !== 4 || x.shape[1] !== c || x.shape[2] !== s || x.shape[3] !== s) {
      fail('VisionTransformer', `expects images [N,${c},${s},${s}], got ${shapeStr(x.shape)}`);
    }
    const tokens = prependClassToken(patchesToTokens(this.convProj.call(x)), this.param('class_token'));
    // The head reads the class token only, and after the last attention each token is processed
    // on its own: unless something watches, the last block runs for the class token alone (the
    // same bits as the full block; in training, dropout > 0 draws its masks for that token only).
    const z = this.encoder.classTokenOnly ? this.encoder.classToken(tokens) : slice(this.encoder.call(tokens), [null, [0, 1], null]);
    return this.heads.call(reshape(z, [z.shape[0]!, this.config.hiddenDim]));
  }

  override describe(): string {
    const c = this.config;
    const stem = c.convStem === null ? '' : `, conv stem=${c.convStem.map((l) => `${l.out}/${l.kernel ?? 3}/${l.stride}`).join(',')}`;
    return `VisionTransformer(image=${c.imageSize}, patch=${c.patchSize}, layers=${c.numLayers}, heads=${c.numHeads}, hidden=${c.hiddenDim}, mlp=${c.mlpDim}, classes=${c.numClasses}${stem})`;
  }
}
