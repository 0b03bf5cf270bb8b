import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { presetNames, presetOption, type NamedPreset } from '../presets.js';
import { smoothGradCamPlusPlus, SMOOTH_GRAD_CAM_PP_PRESETS, type SmoothGradCamPlusPlusOptions } from '../smooth.js';
import { combined } from '../combine.js';
import { CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS, NOISE_OPTIONS } from './descriptor.js';

/** Smooth Grad-CAM++: α = D2 / (2·D2 + ΣA_k·D3) from the moments D1, D2, D3 of g over noisy inputs. */
export const smoothGradCamPlusPlusMethod = defineMethod({
  name: 'smooth-gradcam++',
  label: 'Smooth Grad-CAM++',
  paper: {
    cite: 'Omeiza et al. 2019',
    title: 'Smooth Grad-CAM++: An Enhanced Inference Level Visualization Technique for Deep Convolutional Neural Network Models',
    venue: 'arXiv:1908.01224',
  },
  stochastic: true,
  result: 'cam',
  options: {
    ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS, ...NOISE_OPTIONS, noiseTensors: true, eps: true, denominator: true, numerator: true, weightGradient: true, mapActivation: true,
    preset: true, channels: true, positions: true, exact: true, batchSize: true,
  },
  // Every noisy sample of the default 25 in one pass (the result does not depend on it).
  fastOptions: { batchSize: 25 },
  presets: presetNames(SMOOTH_GRAD_CAM_PP_PRESETS),
  run: combined((model: Module, input: Tensor, opts: NamedPreset<SmoothGradCamPlusPlusOptions> = {}) => {
    const { preset, ...rest } = opts;
    return smoothGradCamPlusPlus(model, input, { ...rest, ...presetOption('smooth gradcam++', SMOOTH_GRAD_CAM_PP_PRESETS, preset) });
  }),
});
