import { gradCamPlusPlusRollout } from '../rollout/methods.js';
import { defineMethod, ROLLOUT_OPTIONS, type Paper } from './descriptor.js';

/** Grad-CAM++'s weighting (Chattopadhay et al. 2018) in Chefer et al.'s gradient rollout: camlab's combination (docs/transformers.md). */
export const GRAD_CAM_PP_ROLLOUT_PAPER: Paper = {
  cite: 'Chattopadhay et al. 2018 in Chefer, Gur & Wolf 2021',
  title: "Grad-CAM++'s α-weighting of the attention in gradient-weighted rollout (camlab; docs/transformers.md)",
  venue: 'WACV 2018 + ICCV 2021',
};

/**
 * Grad-CAM++-weighted rollout (camlab, DESIGN.md §7): Chefer et al.'s rollout with ∇A replaced by
 * α ⊙ ReLU(g), α = d2 / (2·d2 + ΣA·d3); closed form (g², g³), or the exact diagonals with `exact`.
 */
export const gradCamPlusPlusRolloutMethod = defineMethod({
  name: 'gradcam++-rollout',
  label: 'Grad-CAM++ rollout',
  paper: GRAD_CAM_PP_ROLLOUT_PAPER,
  stochastic: false,
  result: 'cam',
  appliesTo: 'transformer',
  options: { ...ROLLOUT_OPTIONS, exact: true, prune: true },
  run: gradCamPlusPlusRollout,
});
