import { gradCamPlusPlus, GRAD_CAM_PP_PRESETS, type GradCamPlusPlusOptions } from '../gradcampp.js';
import { presetNames, presetOption, type NamedPreset } from '../presets.js';
import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { CamResult } from '../result.js';
import { combined } from '../combine.js';
import { ALPHA_OPTIONS, CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS, type Paper } from './descriptor.js';

export const GRAD_CAM_PP_PAPER: Paper = {
  cite: 'Chattopadhay et al. 2018',
  title: 'Grad-CAM++: Generalized Gradient-based Visual Explanations for Deep Convolutional Networks',
  venue: 'WACV 2018',
};

/** Runs Grad-CAM++ with a preset given by name (checked against GRAD_CAM_PP_PRESETS). */
export function runGradCamPlusPlus(model: Module, input: Tensor, opts: NamedPreset<GradCamPlusPlusOptions> = {}): CamResult {
  const { preset, ...rest } = opts;
  return gradCamPlusPlus(model, input, { ...rest, ...presetOption('gradcam++', GRAD_CAM_PP_PRESETS, preset) });
}

/** Grad-CAM++ (eq. 19): α = g² / (2g² + ΣA_k·g³), w_k = Σ_ij α ReLU(g); exact derivatives with `exact`. */
export const gradCamPlusPlusMethod = defineMethod({
  name: 'gradcam++',
  label: 'Grad-CAM++',
  paper: GRAD_CAM_PP_PAPER,
  stochastic: false,
  result: 'cam',
  options: { ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS, ...ALPHA_OPTIONS, preset: true, exact: true },
  presets: presetNames(GRAD_CAM_PP_PRESETS),
  run: combined(runGradCamPlusPlus),
});
