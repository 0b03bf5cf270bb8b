import { GRAD_CAM_PP_PRESETS, type GradCamPlusPlusOptions } from '../gradcampp.js';
import { presetNames, type NamedPreset } from '../presets.js';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { combined } from '../combine.js';
import { ALPHA_OPTIONS, CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS } from './descriptor.js';
import { GRAD_CAM_PP_PAPER, runGradCamPlusPlus } from './gradcampp.js';

/** Grad-CAM++ with the true diagonals ∂²Y/∂A², ∂³Y/∂A³ always (the `exact` option only chooses Y and the batch). */
export const gradCamPlusPlusExactMethod = defineMethod({
  name: 'gradcam++-exact',
  label: 'Grad-CAM++ (exact)',
  paper: GRAD_CAM_PP_PAPER,
  stochastic: false,
  result: 'cam',
  options: { ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS, ...ALPHA_OPTIONS, preset: true, exact: true },
  presets: presetNames(GRAD_CAM_PP_PRESETS),
  variantOf: { method: 'gradcam++', defaults: { exact: {} } },
  // 64 diagonal entries per pass: the fastest measured on the bundled shapes-cnn (the default is 256).
  fastOptions: { exact: { batchSize: 64 } },
  run: combined<NamedPreset<GradCamPlusPlusOptions>>((model: Module, input: Tensor, opts: NamedPreset<GradCamPlusPlusOptions> = {}) => runGradCamPlusPlus(model, input, { ...opts, exact: opts.exact || true })),
});
