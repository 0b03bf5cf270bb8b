import { gradCam } from '../gradcam.js';
import { CAM_OPTIONS, defineMethod } from './descriptor.js';

/** Grad-CAM: w_k = mean_ij ∂S/∂A_k,ij. */
export const gradCamMethod = defineMethod({
  name: 'gradcam',
  label: 'Grad-CAM',
  paper: { cite: 'Selvaraju et al. 2017', title: 'Grad-CAM: Visual Explanations from Deep Networks via Gradient-based Localization', venue: 'ICCV 2017' },
  stochastic: false,
  result: 'cam',
  options: CAM_OPTIONS,
  run: gradCam,
});
