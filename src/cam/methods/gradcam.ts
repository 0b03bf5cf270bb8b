import { gradCam } from '../gradcam.js';
import { combined } from '../combine.js';
import { CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS } from './descriptor.js';

/** Grad-CAM: w_k = mean_ij ∂S/∂A_k,ij. */
export const gradCamMethod = defineMethod({
  name: 'gradcam',
  label: 'Grad-CAM',
  paper: { cite: 'Selvaraju et al. 2017', title: 'Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization', venue: 'ICCV 2017' },
  stochastic: false,
  result: 'cam',
  options: { ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS },
  run: combined(gradCam),
});
