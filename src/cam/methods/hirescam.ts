import { combined } from '../combine.js';
import { hiResCam } from '../gradcam.js';
import { CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS } from './descriptor.js';

/** HiResCAM: map = ReLU(Σ_k g_k ⊙ A_k), the gradient as a weight per position. */
export const hiResCamMethod = defineMethod({
  name: 'hirescam',
  label: 'HiResCAM',
  paper: { cite: 'Draelos & Carin 2020', title: 'Use HiResCAM instead of Grad-CAM for faithful explanations of convolutional neural networks', venue: 'arXiv:2011.08891' },
  stochastic: false,
  result: 'cam',
  options: { ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS },
  run: combined(hiResCam),
});
