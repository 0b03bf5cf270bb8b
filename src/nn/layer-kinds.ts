import { CamlabError, fail } from '../tensor/errors.js';
import type { DType } from '../tensor/dtype.js';
import {
  AdaptiveAvgPool2d, AvgPool2d, BasicBlock, BatchNorm2d, Conv2d, Dropout, Flatten, GELU, GlobalAvgPool,
  Identity, Linear, MaxPool2d, ReLU, Sequential, Sigmoid, Softmax, Tanh, type LayerInit,
} from './layers.js';
import { MultiheadAttention } from './attention.js';
import { LayerNorm } from './layernorm.js';
import type { Module } from './module.js';
import { SpecFields } from './spec-fields.js';
import { EncoderBlock, VisionTransformer, type EncoderOptions } from './vit.js';

type Pair = number | [number, number];

/**
 * One layer kind of a model spec: the JSON fields of its entry (`F`, a type only) and how its
 * module is built from them. The table below is the single list of kinds: it gives the spec's
 * `LayerSpec` type, the known kinds named in errors, and {@link buildModule}. Only the container,
 * Sequential, is outside it (its entries nest layer specs, which a row's type cannot refer to).
 */
export interface LayerKind<F extends object> {
  /** A minimal valid entry (without `type`): tests build every kind from it. */
  readonly example: F;
  build(fields: SpecFields, init: LayerInit): Module;
}

function kind<F extends object>(example: F, build: (fields: SpecFields, init: LayerInit) => Module): LayerKind<F> {
  return { example, build };
}

/** The container: its children are `layers` (named '0', '1', …) or named `children`. */
export interface SequentialSpec {
  type: 'Sequential';
  layers?: LayerSpec[];
  children?: Record<string, LayerSpec>;
}

interface WindowFields {
  kernel: Pair;
  stride?: Pair;
  padding?: Pair;
  ceilMode?: boolean;
}

function window(f: SpecFields): { kernelSize: Pair; stride: Pair; padding: Pair; ceilMode: boolean } {
  return { kernelSize: f.pair('kernel'), stride: f.pair('stride', f.pair('kernel')), padding: f.pair('padding', 0), ceilMode: f.bool('ceilMode', false) };
}

const dtypeOf = (init: LayerInit): { dtype?: DType } => (init.dtype === undefined ? {} : { dtype: init.dtype });

/** The optional fields every transformer kind shares (torchvision's defaults: eps 1e-6, no dropout). */
interface EncoderFields {
  eps?: number;
  dropout?: number;
  attentionDropout?: number;
}

function encoderOptions(f: SpecFields, init: LayerInit): EncoderOptions {
  return { ...init, eps: f.num('eps', 1e-6), dropout: f.num('dropout', 0), attentionDropout: f.num('attentionDropout', 0) };
}

/** Every layer kind a model spec can name besides Sequential, in the order errors list them. A new kind is one row. */
export const LAYER_KINDS = {
  Conv2d: kind<{ in: number; out: number; kernel: Pair; stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number; bias?: boolean }>(
    { in: 1, out: 1, kernel: 1 },
    (f, init) => new Conv2d(f.pos('in'), f.pos('out'), f.pair('kernel'), {
      ...init, stride: f.pair('stride', 1), padding: f.pair('padding', 0), dilation: f.pair('dilation', 1), groups: f.int('groups', 1), bias: f.bool('bias', true),
    }),
  ),
  Linear: kind<{ in: number; out: number; bias?: boolean }>({ in: 1, out: 1 }, (f, init) => new Linear(f.pos('in'), f.pos('out'), { ...init, bias: f.bool('bias', true) })),
  ReLU: kind({}, () => new ReLU()),
  Sigmoid: kind({}, () => new Sigmoid()),
  Tanh: kind({}, () => new Tanh()),
  GELU: kind({}, () => new GELU()),
  Identity: kind({}, () => new Identity()),
  GlobalAvgPool: kind({}, () => new GlobalAvgPool()),
  Softmax: kind<{ dim?: number }>({}, (f) => new Softmax(f.dim('dim', -1))),
  MaxPool2d: kind<WindowFields>({ kernel: 1 }, (f) => new MaxPool2d(window(f))),
  AvgPool2d: kind<WindowFields>({ kernel: 1 }, (f) => new AvgPool2d(window(f))),
  AdaptiveAvgPool2d: kind<{ size: Pair }>({ size: 1 }, (f) => new AdaptiveAvgPool2d(f.pair('size'))),
  Flatten: kind<{ start?: number; end?: number }>({}, (f) => new Flatten(f.dim('start', 1), f.dim('end', -1))),
  BatchNorm2d: kind<{ features: number; eps?: number; momentum?: number }>(
    { features: 1 },
    (f, init) => new BatchNorm2d(f.pos('features'), { eps: f.num('eps', 1e-5), momentum: f.num('momentum', 0.1), ...dtypeOf(init) }),
  ),
  Dropout: kind<{ p?: number }>({}, (f, init) => new Dropout(f.num('p', 0.5), init.rng === undefined ? {} : { rng: init.rng })),
  BasicBlock: kind<{ in: number; out: number; stride?: number }>({ in: 1, out: 1 }, (f, init) => new BasicBlock(f.pos('in'), f.pos('out'), { ...init, stride: f.int('stride', 1) })),
  /** Over the trailing dims `shape` (an integer or a list), as torch.nn.LayerNorm(normalized_shape). */
  LayerNorm: kind<{ shape: number | number[]; eps?: number; affine?: boolean }>(
    { shape: 1 },
    (f, init) => new LayerNorm(f.dims('shape'), { eps: f.num('eps', 1e-5), elementwiseAffine: f.bool('affine', true), ...dtypeOf(init) }),
  ),
  /** Self-attention on tokens [N, T, dim] (torch.nn.MultiheadAttention, batch_first). */
  MultiheadAttention: kind<{ dim: number; heads: number; bias?: boolean; dropout?: number }>(
    { dim: 1, heads: 1 },
    (f, init) => new MultiheadAttention(f.pos('dim'), f.pos('heads'), { ...init, bias: f.bool('bias', true), dropout: f.num('dropout', 0) }),
  ),
  /** torchvision's pre-norm EncoderBlock on tokens [N, T, dim]. */
  EncoderBlock: kind<{ dim: number; heads: number; mlp: number } & EncoderFields>(
    { dim: 1, heads: 1, mlp: 1 },
    (f, init) => new EncoderBlock(f.pos('heads'), f.pos('dim'), f.pos('mlp'), encoderOptions(f, init)),
  ),
  /** torchvision.models.VisionTransformer, with its state-dict keys (field names as VisionTransformerConfig). */
  VisionTransformer: kind<{
    imageSize: number; patchSize: number; numLayers: number; numHeads: number; hiddenDim: number; mlpDim: number; numClasses?: number; channels?: number;
    convStem?: Array<{ out: number; kernel?: number; stride: number }>;
  } & EncoderFields>(
    { imageSize: 2, patchSize: 1, numLayers: 1, numHeads: 1, hiddenDim: 2, mlpDim: 2 },
    (f, init) => {
      const stem = f.objects('convStem')?.map((l) => ({ out: l.pos('out'), kernel: l.pos('kernel', 3), stride: l.pos('stride') }));
      return new VisionTransformer({
        ...encoderOptions(f, init),
        imageSize: f.pos('imageSize'), patchSize: f.pos('patchSize'), numLayers: f.pos('numLayers'), numHeads: f.pos('numHeads'),
        hiddenDim: f.pos('hiddenDim'), mlpDim: f.pos('mlpDim'), numClasses: f.pos('numClasses', 1000), channels: f.pos('channels', 3),
        ...(stem === undefined ? {} : { convStem: stem }),
      });
    },
  ),
};

export type LayerKindName = keyof typeof LAYER_KINDS;

type FieldsOf<R> = R extends LayerKind<infer F> ? F : never;

/** One layer of a model spec (JSON): `{ type: <kind>, …that kind's fields }`, generated from {@link LAYER_KINDS}. */
export type LayerSpec = SequentialSpec | { [K in LayerKindName]: { type: K } & FieldsOf<(typeof LAYER_KINDS)[K]> }[LayerKindName];

/** The `type` of every layer a spec can hold: 'Sequential' and the kinds of {@link LAYER_KINDS}. */
export const LAYER_TYPES: readonly string[] = ['Sequential', ...Object.keys(LAYER_KINDS)];

/** Builds the module tree a layer spec describes (fresh, seeded initialization). */
export function buildModule(spec: LayerSpec, init: LayerInit = {}, path = 'architecture'): Module {
  const s = spec as unknown;
  if (typeof s !== 'object' || s === null) fail('model spec', `${path} must be an object`);
  const type = (s as { type?: unknown }).type;
  const fields = new SpecFields(s as Record<string, unknown>, path);
  if (type === 'Sequential') return buildSequential(fields, init);
  if (typeof type !== 'string' || !Object.hasOwn(LAYER_KINDS, type)) {
    fail('model spec', `${path}.type ${JSON.stringify(type)} is not a known layer; known: ${LAYER_TYPES.join(', ')}`);
  }
  const row: LayerKind<object> = LAYER_KINDS[type as LayerKindName];
  // A layer constructor's own error (e.g. Conv2d groups not dividing the channels) gets the path
  // of the layer in the spec, so the faulty entry of a large architecture can be found.
  try {
    return row.build(fields, init);
  } catch (e) {
    if (e instanceof CamlabError && e.op !== 'model spec') fail('model spec', `${path} (${type}): ${e.message}`);
    throw e;
  }
}

function buildSequential(f: SpecFields, init: LayerInit): Module {
  const { layers, children } = f.spec;
  if (Array.isArray(layers)) return new Sequential(...layers.map((l, i) => buildModule(l as LayerSpec, init, `${f.path}.layers[${i}]`)));
  if (typeof children === 'object' && children !== null && !Array.isArray(children)) {
    const entries = Object.entries(children as Record<string, LayerSpec>);
    for (const [n] of entries) {
      if (n === '' || n.includes('.')) fail('model spec', `${f.path}.children has an invalid layer name ${JSON.stringify(n)} (non-empty, no dots: it becomes part of the state-dict keys)`);
    }
    return Sequential.named(entries.map(([n, l]) => [n, buildModule(l, init, `${f.path}.children.${n}`)] as const));
  }
  return fail('model spec', `${f.path} (Sequential) needs a 'layers' array or a 'children' object`);
}
