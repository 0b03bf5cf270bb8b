import type { Module } from '../../nn/module.js';
import type { Tensor } from '../../tensor/tensor.js';
import { gradCamPlusPlusRollout, type GradCamPlusPlusRolloutOptions } from '../rollout/methods.js';
import { defineMethod, ROLLOUT_OPTIONS } from './descriptor.js';
import { GRAD_CAM_PP_ROLLOUT_PAPER } from './gradcampp-rollout.js';

/** Grad-CAM++ rollout with the true diagonals ∂²Y/∂A², ∂³Y/∂A³ always (the `exact` option only chooses Y and the batch). */
export const gradCamPlusPlusRolloutExactMethod = defineMethod({
  name: 'gradcam++-rollout-exact',
  label: 'Grad-CAM++ rollout (exact)',
  paper: GRAD_CAM_PP_ROLLOUT_PAPER,
  stochastic: false,
  result: 'cam',
  appliesTo: 'transformer',
  options: { ...ROLLOUT_OPTIONS, exact: true, prune: true },
  variantOf: { method: 'gradcam++-rollout', defaults: { exact: {} } },
  run: (model: Module, input: Tensor, opts: GradCamPlusPlusRolloutOptions = {}) => gradCamPlusPlusRollout(model, input, { ...opts, exact: opts.exact || true }),
});
