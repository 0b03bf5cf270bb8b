import { gradCamPlusPlusRollout } from '../rollout/methods.js';
import { defineMethod, ROLLOUT_OPTIONS } from './descriptor.js';
import { GRADIENT_ROLLOUT_PAPER } from './gradient-rollout.js';

/**
 * Grad-CAM++-weighted rollout (camlab, DESIGN.md §7): Chefer et al.'s rollout with ∇A replaced by
 * α ⊙ ReLU(g), α = d2 / (2·d2 + ΣA·d3); closed form (g², g³), or the exact diagonals with `exact`.
 */
export const gradCamPlusPlusRolloutMethod = defineMethod({
  name: 'gradcam++-rollout',
  label: 'Grad-CAM++ rollout',
  paper: GRADIENT_ROLLOUT_PAPER,
  stochastic: false,
  result: 'cam',
  appliesTo: 'transformer',
  options: { ...ROLLOUT_OPTIONS, exact: true, prune: true },
  run: gradCamPlusPlusRollout,
});
