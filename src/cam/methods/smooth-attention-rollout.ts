import { smoothAttentionRollout } from '../rollout/methods.js';
import { ATTENTION_ROLLOUT_PAPER } from './attention-rollout.js';
import { defineMethod, FUSION_OPTIONS, NOISE_OPTIONS, ROLLOUT_OPTIONS } from './descriptor.js';

/** Attention rollout averaged over noisy inputs x + N(0, σ²) (SmoothGrad's averaging applied to R). */
export const smoothAttentionRolloutMethod = defineMethod({
  name: 'smooth-attention-rollout',
  label: 'Smooth attention rollout',
  paper: ATTENTION_ROLLOUT_PAPER,
  stochastic: true,
  result: 'cam',
  appliesTo: 'transformer',
  options: { ...ROLLOUT_OPTIONS, ...FUSION_OPTIONS, ...NOISE_OPTIONS },
  run: smoothAttentionRollout,
});
