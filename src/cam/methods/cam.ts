import { cam } from '../gradcam.js';
import { CAM_OPTIONS, defineMethod } from './descriptor.js';

/** CAM: w_k = W_fc[c, k], for networks ending in global average pooling + one linear layer. */
export const camMethod = defineMethod({
  name: 'cam',
  label: 'CAM',
  paper: { cite: 'Zhou et al. 2016', title: 'Learning Deep Features for Discriminative Localization', venue: 'CVPR 2016' },
  stochastic: false,
  result: 'cam',
  appliesTo: 'gap-linear',
  options: CAM_OPTIONS,
  run: cam,
});
