import { combined } from '../combine.js';
import { eigenCam } from '../eigencam.js';
import { CAM_OPTIONS, COMBINE_OPTIONS, defineMethod } from './descriptor.js';

/** EigenCAM: map = ReLU of the activations' projection on their first principal component (class-agnostic, no gradient). */
export const eigenCamMethod = defineMethod({
  name: 'eigencam',
  label: 'EigenCAM',
  paper: { cite: 'Muhammad & Yeasin 2020', title: 'Eigen-CAM: Class Activation Map using Principal Components', venue: 'IJCNN 2020' },
  stochastic: false,
  result: 'cam',
  // No eigenSmooth: the map already is the first principal component.
  options: { ...CAM_OPTIONS, ...COMBINE_OPTIONS },
  run: combined(eigenCam),
});
