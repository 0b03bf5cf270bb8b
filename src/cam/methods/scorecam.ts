import { scoreCam } from '../scorecam.js';
import { CAM_OPTIONS, defineMethod } from './descriptor.js';

/** Score-CAM: w = softmax_k S(x ⊙ minmax(upsample(A_k))), gradient-free. */
export const scoreCamMethod = defineMethod({
  name: 'scorecam',
  label: 'Score-CAM',
  paper: { cite: 'Wang et al. 2020', title: 'Score-CAM: Score-Weighted Visual Explanations for Convolutional Neural Networks', venue: 'CVPR Workshops 2020' },
  stochastic: false,
  result: 'cam',
  options: { ...CAM_OPTIONS, batchSize: true },
  fastOptions: { batchSize: 32 },
  run: scoreCam,
});
