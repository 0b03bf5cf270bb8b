/**
 * The registry of CAM methods: one descriptor per method (src/cam/methods/*.ts), listed once
 * here. The CLI (help, flag checks), the web page and its worker and `evaluate` all read this
 * list, so a new method is a descriptor file (plus its formula) and a line in METHOD_LIST.
 */
import type { Module } from '../nn/module.js';
import { fail } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { ablationCamMethod } from './methods/ablationcam.js';
import { camMethod } from './methods/cam.js';
import type { MethodDescriptor, MethodInfo, MethodResult } from './methods/descriptor.js';
import { eigenCamMethod } from './methods/eigencam.js';
import { gradCamMethod } from './methods/gradcam.js';
import { gradCamPlusPlusMethod } from './methods/gradcampp.js';
import { gradCamPlusPlusExactMethod } from './methods/gradcampp-exact.js';
import { hiResCamMethod } from './methods/hirescam.js';
import { layerCamMethod } from './methods/layercam.js';
import { scoreCamMethod } from './methods/scorecam.js';
import { smoothGradCamPlusPlusMethod } from './methods/smooth-gradcampp.js';
import { smoothGradMethod } from './methods/smoothgrad.js';
import { xGradCamMethod } from './methods/xgradcam.js';
import { attentionRolloutMethod } from './methods/attention-rollout.js';
import { smoothAttentionRolloutMethod } from './methods/smooth-attention-rollout.js';
import { gradientRolloutMethod } from './methods/gradient-rollout.js';
import { smoothGradientRolloutMethod } from './methods/smooth-gradient-rollout.js';
import { gradCamPlusPlusRolloutMethod } from './methods/gradcampp-rollout.js';
import { gradCamPlusPlusRolloutExactMethod } from './methods/gradcampp-rollout-exact.js';
import { smoothGradCamPlusPlusRolloutMethod } from './methods/smooth-gradcampp-rollout.js';
import { whyNotApplicable } from './methods/applies.js';

export * from './methods/descriptor.js';
export * from './methods/applies.js';

/** Every method, in the order the CLI, the web page and reports list them. */
export const METHOD_LIST = [
  camMethod,
  gradCamMethod,
  gradCamPlusPlusMethod,
  gradCamPlusPlusExactMethod,
  xGradCamMethod,
  layerCamMethod,
  hiResCamMethod,
  scoreCamMethod,
  ablationCamMethod,
  eigenCamMethod,
  smoothGradMethod,
  smoothGradCamPlusPlusMethod,
  attentionRolloutMethod,
  smoothAttentionRolloutMethod,
  gradientRolloutMethod,
  smoothGradientRolloutMethod,
  gradCamPlusPlusRolloutMethod,
  gradCamPlusPlusRolloutExactMethod,
  smoothGradCamPlusPlusRolloutMethod,
] as const;

type Registered = (typeof METHOD_LIST)[number];
type OptionsOf<D> = D extends MethodDescriptor<string, infer O, MethodResult> ? O : never;
type ResultOf<D> = D extends MethodDescriptor<string, object, infer R> ? R : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

export type MethodName = Registered['name'];

/** Options understood by `explain`: every method's options together; each method is given the ones it accepts. */
export type ExplainOptions = Intersection<OptionsOf<Registered>>;

/** A registered method as the registry runs it (any method runs on ExplainOptions). */
export type RegisteredMethod = MethodDescriptor<string, ExplainOptions, MethodResult>;

/** The descriptors of {@link METHOD_LIST}, as the surfaces read them. */
export const METHOD_DESCRIPTORS: readonly RegisteredMethod[] = METHOD_LIST;

/** The names of every method, in the order of {@link METHOD_LIST}. */
export const METHOD_NAMES: readonly MethodName[] = METHOD_LIST.map((d) => d.name);

/** Whether `s` names a registered method. */
export function isMethodName(s: string): s is MethodName {
  return METHOD_DESCRIPTORS.some((d) => d.name === s);
}

/** The descriptor of a method; an unknown name is an error of `op` listing the known ones. */
export function methodDescriptor(name: string, op = 'explain'): RegisteredMethod {
  const d = METHOD_DESCRIPTORS.find((m) => m.name === name);
  if (d === undefined) fail(op, `unknown method '${name}'; known: ${METHOD_NAMES.join(', ')}`);
  return d;
}

/** The registered methods that apply to a model ({@link whyNotApplicable}), in registry order. */
export function applicableMethods(model: Module): RegisteredMethod[] {
  return METHOD_DESCRIPTORS.filter((d) => whyNotApplicable(d, model) === null);
}

/** The registered methods that accept an option (a key of ExplainOptions). */
export function methodsAccepting(option: string): RegisteredMethod[] {
  return METHOD_DESCRIPTORS.filter((d) => d.accepts.includes(option));
}

/**
 * The options a method is given out of options shared by several methods: the ones it accepts,
 * undefined ones left out. Every surface builds a method's options here and nowhere else.
 */
export function methodOptions(method: MethodInfo, opts: ExplainOptions): ExplainOptions {
  const out: Record<string, unknown> = {};
  for (const k of method.accepts) {
    const v = (opts as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as ExplainOptions;
}

/**
 * Runs a method by name with the options it accepts out of `opts` (options for other methods
 * are not given to it, so one options object can serve several methods); an unknown name is an
 * error listing the known ones, a method that does not apply to the model one saying why.
 */
export function explain(method: string, model: Module, input: Tensor, opts: ExplainOptions = {}): MethodResult {
  const d = methodDescriptor(method);
  const why = whyNotApplicable(d, model);
  if (why !== null) fail('explain', why);
  return d.run(model, input, methodOptions(d, opts));
}

/** Every method by name as a function (model, input, options?) → its result. */
export const METHODS = Object.fromEntries(
  METHOD_LIST.map((d) => [d.name, (model: Module, input: Tensor, opts: ExplainOptions = {}) => explain(d.name, model, input, opts)]),
) as { readonly [D in Registered as D['name']]: (model: Module, input: Tensor, opts?: ExplainOptions) => ResultOf<D> };
