import * as K from '../tensor/index.js';
import { fail, shapeStr } from '../tensor/errors.js';
import { Tensor } from '../tensor/tensor.js';

/** Per-image result of normalization: the map in [0, 1], or zeros with `flat` set. */
export interface Normalized {
  maps: Tensor;
  flat: boolean[];
}

/**
 * Min-max normalization per image: (m − min)/(max − min). A map whose range is zero (or below
 * 1e-12 of its magnitude, i.e. rounding noise) is flat: it comes back as zeros with flat = true,
 * never as NaN. Non-finite values are an error that says where they came from.
 */
export function minMaxNormalize(maps: Tensor, what = 'map'): Normalized {
  if (maps.ndim !== 3) fail('normalize', `expects maps [N,H,W], got ${shapeStr(maps.shape)}`);
  const [n, h, w] = maps.shape as [number, number, number];
  const out = maps.data.slice();
  const flat: boolean[] = [];
  const size = h * w;
  for (let i = 0; i < n; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = i * size; j < (i + 1) * size; j++) {
      const v = out[j]!;
      if (!Number.isFinite(v)) fail('normalize', `the ${what} of image ${i} contains ${v} at position ${j - i * size}; the gradients or activations it was computed from are not finite`);
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    const range = hi - lo;
    const isFlat = !(range > 1e-12 * Math.max(Math.abs(hi), Math.abs(lo)));
    flat.push(isFlat);
    for (let j = i * size; j < (i + 1) * size; j++) out[j] = isFlat ? 0 : (out[j]! - lo) / range;
  }
  return { maps: new Tensor(out, maps.shape), flat };
}

/**
 * Bilinear upsampling of maps [N,h,w] to [N,H,W], align_corners = false (half-pixel centres,
 * clamped edges) unless `alignCorners` (corner pixels coincide).
 */
export function upsampleMaps(maps: Tensor, size: readonly [number, number], alignCorners = false): Tensor {
  const [n, h, w] = maps.shape as [number, number, number];
  const up = K.resizeBilinear(K.reshape(maps, [n, 1, h, w]), size, alignCorners);
  return K.reshape(up, [n, size[0], size[1]]);
}

/** The standard post-processing: upsample to the input size, then min-max normalize per image. */
export function postprocess(maps: Tensor, size: readonly [number, number], what = 'map'): Normalized {
  return minMaxNormalize(upsampleMaps(maps, size), what);
}
