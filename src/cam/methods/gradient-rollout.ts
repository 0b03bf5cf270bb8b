import { gradientRollout } from '../rollout/methods.js';
import { defineMethod, ROLLOUT_OPTIONS, type Paper } from './descriptor.js';

/** Chefer, Gur & Wolf's gradient-weighted attention rollout (the paper of the gradient rollouts). */
export const GRADIENT_ROLLOUT_PAPER: Paper = {
  cite: 'Chefer, Gur & Wolf 2021',
  title: 'Generic Attention-model Explainability for Interpreting Bi-Modal and Encoder-Decoder Transformers',
  venue: 'ICCV 2021',
};

/** Gradient-weighted rollout: R = I, R ← R + mean_h (∇A_l ⊙ A_l)⁺ R over the blocks, map = R[cls, patches]. */
export const gradientRolloutMethod = defineMethod({
  name: 'gradient-rollout',
  label: 'Gradient rollout',
  paper: GRADIENT_ROLLOUT_PAPER,
  stochastic: false,
  result: 'cam',
  appliesTo: 'transformer',
  options: ROLLOUT_OPTIONS,
  run: gradientRollout,
});
