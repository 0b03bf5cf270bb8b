import { ablationCam } from '../ablationcam.js';
import { combined } from '../combine.js';
import { CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS } from './descriptor.js';

/** Ablation-CAM: w_k = (S − S_k)/S with S_k the score when channel k is zeroed, gradient-free. */
export const ablationCamMethod = defineMethod({
  name: 'ablationcam',
  label: 'Ablation-CAM',
  paper: { cite: 'Desai & Ramaswamy 2020', title: 'Ablation-CAM: Visual Explanation for Deep Convolutional Network via Gradient-free Localization', venue: 'WACV 2020' },
  stochastic: false,
  result: 'cam',
  options: { ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS, batchSize: true },
  fastOptions: { batchSize: 64 },
  run: combined(ablationCam),
});
