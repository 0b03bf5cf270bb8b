import { smoothGradCamPlusPlusRollout } from '../rollout/methods.js';
import { defineMethod, NOISE_OPTIONS, ROLLOUT_OPTIONS } from './descriptor.js';
import { GRAD_CAM_PP_ROLLOUT_PAPER } from './gradcampp-rollout.js';

/** Grad-CAM++ rollout with D1, D2, D3 the means over noisy inputs (closed form, or exact with `exact`) and A the clean attention. */
export const smoothGradCamPlusPlusRolloutMethod = defineMethod({
  name: 'smooth-gradcam++-rollout',
  label: 'Smooth Grad-CAM++ rollout',
  paper: GRAD_CAM_PP_ROLLOUT_PAPER,
  stochastic: true,
  result: 'cam',
  appliesTo: 'transformer',
  options: { ...ROLLOUT_OPTIONS, ...NOISE_OPTIONS, exact: true, prune: true },
  run: smoothGradCamPlusPlusRollout,
});
