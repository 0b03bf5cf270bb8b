import { xGradCam } from '../gradcam.js';
import { combined } from '../combine.js';
import { CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS } from './descriptor.js';

/** XGrad-CAM: w_k = Σ_ij g A / Σ_ij A. */
export const xGradCamMethod = defineMethod({
  name: 'xgradcam',
  label: 'XGrad-CAM',
  paper: { cite: 'Fu et al. 2020', title: 'Axiom-based Grad-CAM: Towards Accurate Visualization and Explanation of CNNs', venue: 'BMVC 2020' },
  stochastic: false,
  result: 'cam',
  options: { ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS },
  run: combined(xGradCam),
});
