import { attentionRollout } from '../rollout/methods.js';
import { defineMethod, FUSION_OPTIONS, ROLLOUT_OPTIONS, type Paper } from './descriptor.js';

/** Abnar & Zuidema's attention rollout (the paper of the attention rollouts). */
export const ATTENTION_ROLLOUT_PAPER: Paper = {
  cite: 'Abnar & Zuidema 2020',
  title: 'Quantifying Attention Flow in Transformers',
  venue: 'ACL 2020',
};

/** Attention rollout: R = Ã_L ⋯ Ã_1, Ã_l = rownorm(fuse_h A_l + I), map = R[cls, patches] (class-agnostic). */
export const attentionRolloutMethod = defineMethod({
  name: 'attention-rollout',
  label: 'Attention rollout',
  paper: ATTENTION_ROLLOUT_PAPER,
  stochastic: false,
  result: 'cam',
  appliesTo: 'transformer',
  options: { ...ROLLOUT_OPTIONS, ...FUSION_OPTIONS },
  run: attentionRollout,
});
