import { cam } from '../gradcam.js';
import { combined } from '../combine.js';
import { CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS } from './descriptor.js';

/** CAM: w_k = W_fc[c, k], map = Σ_k w_k A_k (no ReLU unless `relu`), for networks ending in global average pooling + one linear layer. */
export const camMethod = defineMethod({
  name: 'cam',
  label: 'CAM',
  paper: { cite: 'Zhou et al. 2016', title: 'Learning Deep Features for Discriminative Localization', venue: 'CVPR 2016' },
  stochastic: false,
  result: 'cam',
  appliesTo: 'gap-linear',
  options: { ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS, relu: true },
  run: combined(cam),
});
