import { layerCam } from '../gradcam.js';
import { combined } from '../combine.js';
import { CAM_OPTIONS, COMBINE_OPTIONS, defineMethod, MAP_OPTIONS } from './descriptor.js';

/** Layer-CAM: map = ReLU(Σ_k ReLU(g_k) ⊙ A_k), a weight per position. */
export const layerCamMethod = defineMethod({
  name: 'layercam',
  label: 'Layer-CAM',
  paper: { cite: 'Jiang et al. 2021', title: 'LayerCAM: Exploring Hierarchical Class Activation Maps for Localization', venue: 'IEEE TIP 2021' },
  stochastic: false,
  result: 'cam',
  options: { ...CAM_OPTIONS, ...MAP_OPTIONS, ...COMBINE_OPTIONS },
  run: combined(layerCam),
});
