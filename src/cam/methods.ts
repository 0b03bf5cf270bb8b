import type { Module } from '../nn/module.js';
import { fail } from '../tensor/errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { cam, gradCam, layerCam, xGradCam, type CamOptions } from './gradcam.js';
import { gradCamPlusPlus, type GradCamPlusPlusOptions } from './gradcampp.js';
import type { CamResult } from './result.js';
import { scoreCam, type ScoreCamOptions } from './scorecam.js';
import { smoothGrad, smoothGradCamPlusPlus, type SaliencyResult, type SmoothGradCamPlusPlusOptions, type SmoothGradOptions } from './smooth.js';

/** Options understood by `explain`; each method reads the ones that concern it. */
export type ExplainOptions = CamOptions &
  Omit<GradCamPlusPlusOptions, 'preset'> &
  ScoreCamOptions &
  Omit<SmoothGradCamPlusPlusOptions, 'preset'> &
  Omit<SmoothGradOptions, 'target'> & {
    /** A Grad-CAM++ preset (for gradcam++) or a Smooth Grad-CAM++ preset (for smooth-gradcam++); each method checks its own. */
    preset?: string;
  };

/** Every method by its command-line name. */
export const METHODS = {
  cam: (m: Module, x: Tensor, o: ExplainOptions): CamResult => cam(m, x, o),
  gradcam: (m: Module, x: Tensor, o: ExplainOptions): CamResult => gradCam(m, x, o),
  'gradcam++': (m: Module, x: Tensor, o: ExplainOptions): CamResult => gradCamPlusPlus(m, x, o as GradCamPlusPlusOptions),
  'gradcam++-exact': (m: Module, x: Tensor, o: ExplainOptions): CamResult => gradCamPlusPlus(m, x, { ...(o as GradCamPlusPlusOptions), exact: o.exact || true }),
  xgradcam: (m: Module, x: Tensor, o: ExplainOptions): CamResult => xGradCam(m, x, o),
  layercam: (m: Module, x: Tensor, o: ExplainOptions): CamResult => layerCam(m, x, o),
  scorecam: (m: Module, x: Tensor, o: ExplainOptions): CamResult => scoreCam(m, x, o),
  smoothgrad: (m: Module, x: Tensor, o: ExplainOptions): SaliencyResult => smoothGrad(m, x, o),
  'smooth-gradcam++': (m: Module, x: Tensor, o: ExplainOptions): CamResult => smoothGradCamPlusPlus(m, x, o as SmoothGradCamPlusPlusOptions),
} as const;

export type MethodName = keyof typeof METHODS;
/** The command-line names of every method, in the order of {@link METHODS}. */
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

/** Whether `s` is the name of a method in {@link METHODS} (own keys only). */
export function isMethodName(s: string): s is MethodName {
  return Object.prototype.hasOwnProperty.call(METHODS, s);
}

/** Runs a method by name; an unknown name is an error listing the known ones. */
export function explain(method: string, model: Module, input: Tensor, opts: ExplainOptions = {}): CamResult | SaliencyResult {
  if (!isMethodName(method)) fail('explain', `unknown method '${method}'; known: ${METHOD_NAMES.join(', ')}`);
  return METHODS[method](model, input, opts);
}
