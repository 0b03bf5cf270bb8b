import { smoothGrad } from '../smooth.js';
import { defineMethod, NOISE_OPTIONS } from './descriptor.js';

/** SmoothGrad: the mean input gradient over noisy copies x + N(0, σ²) (an input saliency map, no layer). */
export const smoothGradMethod = defineMethod({
  name: 'smoothgrad',
  label: 'SmoothGrad',
  paper: { cite: 'Smilkov et al. 2017', title: 'SmoothGrad: removing noise by adding noise', venue: 'ICML Workshop 2017' },
  stochastic: true,
  result: 'saliency',
  options: { ...NOISE_OPTIONS, noiseTensors: true, target: true, variant: true, abs: true, batchSize: true },
  // Every noisy sample of the default 25 in one pass (the result does not depend on it).
  fastOptions: { batchSize: 25 },
  run: smoothGrad,
});
