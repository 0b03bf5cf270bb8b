import { layerCam } from '../gradcam.js';
import { CAM_OPTIONS, defineMethod } from './descriptor.js';

/** Layer-CAM: map = ReLU(Σ_k ReLU(g_k) ⊙ A_k), a weight per position. */
export const layerCamMethod = defineMethod({
  name: 'layercam',
  label: 'Layer-CAM',
  paper: { cite: 'Jiang et al. 2021', title: 'LayerCAM: Exploring Hierarchical Class Activation Maps for Localization', venue: 'IEEE TIP 2021' },
  stochastic: false,
  result: 'cam',
  options: CAM_OPTIONS,
  run: layerCam,
});
