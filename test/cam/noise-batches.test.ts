import { describe, expect, it } from 'vitest';
import { DEFAULT_NOISE_BATCH } from '../../src/cam/noise-batches.js';
import { smoothGrad, smoothGradCamPlusPlus } from '../../src/cam/smooth.js';
import { randn } from '../../src/tensor/create.js';
import { errorOf } from '../support/check.js';
import { image, smallCnn } from './helpers.js';

// Noisy samples run through the model batchSize at a time; the samples are drawn and their terms
// summed in the same order, so every batch size gives the same bits.
describe('noisy samples in batches', () => {
  const model = smallCnn(21);
  const x = image([2, 3, 8, 8], 22);
  const bits = (t: { data: ArrayLike<number> }): number[] => Array.from(t.data);

  it('SmoothGrad: every variant bit-identical for batch sizes 1, 2, 3 and the default', () => {
    for (const variant of ['mean', 'squares', 'variance'] as const) {
      const one = smoothGrad(model, x, { samples: 5, seed: 4, variant, abs: variant === 'mean', batchSize: 1 });
      for (const batchSize of [2, 3, undefined]) {
        const r = smoothGrad(model, x, { samples: 5, seed: 4, variant, abs: variant === 'mean', ...(batchSize ? { batchSize } : {}) });
        expect(bits(r.saliency), `${variant} ${batchSize}`).toEqual(bits(one.saliency));
        expect(bits(r.upsampled)).toEqual(bits(one.upsampled));
      }
    }
  });

  it('Smooth Grad-CAM++: D1, D2, D3, α and the map bit-identical, closed form and exact, drawn or given noise', () => {
    const eps = Array.from({ length: 4 }, (_, m) => randn([2, 3, 8, 8], { rng: 30 + m, dtype: 'float64' }));
    const cases = [
      { layer: 'features.2', samples: 5, seed: 7 },
      { layer: 'features.2', samples: 3, seed: 7, exact: true, preset: 'torchcam' as const },
      { layer: 'features.2', noiseTensors: eps },
    ];
    for (const c of cases) {
      const one = smoothGradCamPlusPlus(model, x, { ...c, trace: true, batchSize: 1 });
      for (const batchSize of [2, 4, DEFAULT_NOISE_BATCH]) {
        const r = smoothGradCamPlusPlus(model, x, { ...c, trace: true, batchSize });
        for (const k of ['d1', 'd2', 'd3', 'alpha'] as const) expect(bits(r.trace![k]!), `${k} ${batchSize}`).toEqual(bits(one.trace![k]!));
        expect(bits(r.upsampled)).toEqual(bits(one.upsampled));
      }
    }
  });

  it('batchSize must be a positive integer', () => {
    expect(errorOf(() => smoothGrad(model, x, { samples: 2, batchSize: 0 }))).toBe('smoothgrad: batchSize must be a positive integer, got 0');
    expect(errorOf(() => smoothGradCamPlusPlus(model, x, { samples: 2, batchSize: 1.5 }))).toBe('smooth gradcam++: batchSize must be a positive integer, got 1.5');
  });
});
