import { smoothGradientRollout } from '../rollout/methods.js';
import { defineMethod, NOISE_OPTIONS, ROLLOUT_OPTIONS } from './descriptor.js';
import { GRADIENT_ROLLOUT_PAPER } from './gradient-rollout.js';

/** Gradient rollout with ∇A_l replaced by its mean D1 over noisy inputs (A_l the clean attention). */
export const smoothGradientRolloutMethod = defineMethod({
  name: 'smooth-gradient-rollout',
  label: 'Smooth gradient rollout',
  paper: GRADIENT_ROLLOUT_PAPER,
  stochastic: true,
  result: 'cam',
  appliesTo: 'transformer',
  options: { ...ROLLOUT_OPTIONS, ...NOISE_OPTIONS },
  run: smoothGradientRollout,
});
