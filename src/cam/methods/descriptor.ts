import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CamResult } from '../result.js';
import type { SaliencyResult } from '../smooth.js';

/** What a method returns: a CAM (a map at a layer, channel weights, a trace) or an input-gradient saliency map. */
export type MethodResult = CamResult | SaliencyResult;

/** The paper a method implements. */
export interface Paper {
  /** Short citation, e.g. 'Selvaraju et al. 2017'. */
  cite: string;
  title: string;
  venue: string;
}

/**
 * The models a method applies to: 'any' classifier; 'transformer', a model with attention layers
 * (MultiheadAttention blocks, whose probabilities rollout reads); 'gap-linear', a model ending in
 * global average pooling and one linear layer (CAM's w_k = W_fc[c, k]). See `whyNotApplicable`.
 */
export type AppliesTo = 'any' | 'transformer' | 'gap-linear';

/**
 * What every surface (CLI help and flag checks, the web page and its worker, `evaluate`) reads
 * about a method, without running it.
 */
export interface MethodInfo {
  /** The name on the command line, in the web page's requests and in reports ('gradcam++'). */
  readonly name: string;
  /** The name shown to people ('Grad-CAM++'). */
  readonly label: string;
  readonly paper: Paper;
  /** The result depends on a noise seed (`evaluate` then explains one image at a time, each with its own seed). */
  readonly stochastic: boolean;
  readonly result: 'cam' | 'saliency';
  /** The options it reads (keys of `ExplainOptions`); any other option passed to `explain` is not given to it. */
  readonly accepts: readonly string[];
  /** Names its `preset` option accepts (empty when it has none). */
  readonly presets: readonly string[];
  /** The models it applies to: surfaces offer it only for those, and running it on another model is a one-line error. */
  readonly appliesTo: AppliesTo;
  /**
   * This method is another registered method run with these options when they are not given
   * (gradcam++-exact is gradcam++ with `exact: {}`): surfaces compute such a pair once.
   */
  readonly variantOf?: { readonly method: string; readonly defaults: Readonly<Record<string, unknown>> };
}

/** A method: its description plus how it runs, with its own options type `O` and result type `R`. */
export interface MethodDescriptor<N extends string = string, O extends object = object, R extends MethodResult = MethodResult> extends MethodInfo {
  readonly name: N;
  /** Options that change only the speed, never the result (checked by a test); `evaluate` adds them. */
  readonly fastOptions?: Partial<O>;
  run(model: Module, input: Tensor, opts?: O): R;
}

/** Every option key of `O`, each marked `true`: the compiler rejects a list that misses or invents one. */
export type OptionKeys<O> = { readonly [K in keyof O]-?: true };

/** A descriptor as written in a method's file: `options` lists every key of the options type its `run` takes. */
export interface MethodDefinition<N extends string, O extends object, R extends MethodResult> extends Omit<MethodDescriptor<N, O, R>, 'accepts' | 'presets' | 'fastOptions' | 'appliesTo'> {
  readonly options: OptionKeys<NoInfer<O>>;
  readonly fastOptions?: Partial<NoInfer<O>>;
  readonly presets?: readonly string[];
  /** Default 'any'. */
  readonly appliesTo?: AppliesTo;
}

/** Builds a descriptor (name, label, paper, options, how it runs) from a method's definition. */
export function defineMethod<const N extends string, O extends object, R extends MethodResult>(d: MethodDefinition<N, O, R>): MethodDescriptor<N, O, R> {
  const { options, presets = [], appliesTo = 'any', ...rest } = d;
  return { ...rest, accepts: Object.keys(options), presets, appliesTo };
}

/** The options every CAM method built on a layer and a target reads (`CamTargetOptions`, `TraceOption`). */
export const CAM_OPTIONS = { layer: true, target: true, trace: true } as const;
/** How the per-channel terms become the map (`MapOptions`): every CAM method but EigenCAM. */
export const MAP_OPTIONS = { eigenSmooth: true } as const;
/** Several layers and test-time augmentation (`CombineOptions`; `layer` is in CAM_OPTIONS): every CAM method through `combined`. */
export const COMBINE_OPTIONS = { augSmooth: true } as const;
/** The noise options of the smoothed methods (`NoiseOptions`). */
export const NOISE_OPTIONS = { samples: true, noise: true, noiseScale: true, seed: true } as const;
/** The options every rollout reads (`RolloutMethodOptions`): the class, the trace, the patch grid. */
export const ROLLOUT_OPTIONS = { target: true, trace: true, grid: true } as const;
/** Attention rollout's head fusion and discarding (`RolloutOptions`). */
export const FUSION_OPTIONS = { fusion: true, discardRatio: true } as const;
/** The α options of Grad-CAM++ (`AlphaOptions`). */
export const ALPHA_OPTIONS = { eps: true, denominator: true, normalizeAlpha: true, skipDivision: true } as const;
