import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { presetNames, presetOption, type NamedPreset } from '../presets.js';
import { scoreCam, SCORE_CAM_PRESETS, type ScoreCamOptions } from '../scorecam.js';
import { combined } from '../combine.js';
import { CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS } from './descriptor.js';

/** Score-CAM: w = softmax_k (S(x ⊙ M_k) − S(x)), M_k = minmax(upsample(A_k)) (or torchcam's or pytorch-grad-cam's mask), gradient-free. */
export const scoreCamMethod = defineMethod({
  name: 'scorecam',
  label: 'Score-CAM',
  paper: { cite: 'Wang et al. 2020', title: 'Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks', venue: 'CVPR Workshops 2020' },
  stochastic: false,
  result: 'cam',
  options: { ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS, batchSize: true, masks: true, preset: true },
  presets: presetNames(SCORE_CAM_PRESETS),
  fastOptions: { batchSize: 32 },
  run: combined<NamedPreset<ScoreCamOptions>>((model: Module, input: Tensor, opts: NamedPreset<ScoreCamOptions> = {}) => {
    const { preset, ...rest } = opts;
    return scoreCam(model, input, { ...rest, ...presetOption('scorecam', SCORE_CAM_PRESETS, preset) });
  }),
});
