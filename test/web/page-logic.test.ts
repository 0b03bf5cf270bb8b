/**
 * The web page's pure parts, in Node: fitting non-square pictures (centre crop as torchvision,
 * letterbox), what the worker sends of a result, and the term explorer's maps, whose last one
 * sums to the channel's weight.
 */
import { describe, expect, it } from 'vitest';
import { explain } from '../../src/cam/methods.js';
import { channelSummary } from '../../src/cam/result.js';
import type { CamResult } from '../../src/cam/result.js';
import { fitAspect } from '../../web/fit.js';
import type { Rgba } from '../../web/protocol.js';
import { channelTerms, scaled, termLabels } from '../../web/term-maps.js';
import { methodOutput } from '../../web/worker-methods.js';
import { positive, smallCnn } from '../cam/helpers.js';

/** A w×h picture whose pixel (x, y) is (x, y, 7, 255). */
function picture(w: number, h: number): Rgba {
  const data = new Uint8ClampedArray(w * h * 4);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data.set([x, y, 7, 255], 4 * (y * w + x));
  return { width: w, height: h, data };
}

const at = (img: Rgba, x: number, y: number): number[] => Array.from(img.data.subarray(4 * (y * img.width + x), 4 * (y * img.width + x) + 4));

describe('fitting a picture to the model\'s aspect ratio', () => {
  it('centre crop keeps the centred region, offsets rounded as torchvision (halves to even)', () => {
    const wide = fitAspect(picture(7, 4), 1, 'crop');
    expect([wide.width, wide.height]).toEqual([4, 4]);
    expect(at(wide, 0, 0)).toEqual([2, 0, 7, 255]); // (7 − 4) / 2 = 1.5 → 2
    const tall = fitAspect(picture(4, 9), 1, 'crop');
    expect([tall.width, tall.height]).toEqual([4, 4]);
    expect(at(tall, 0, 0)).toEqual([0, 2, 7, 255]); // (9 − 4) / 2 = 2.5 → 2
    expect(at(fitAspect(picture(10, 4), 1, 'crop'), 0, 0)).toEqual([3, 0, 7, 255]);
  });

  it('letterbox keeps the whole picture on black bars; stretch and pictures of the right aspect stay as they are', () => {
    const boxed = fitAspect(picture(6, 2), 1, 'letterbox');
    expect([boxed.width, boxed.height]).toEqual([6, 6]);
    expect(at(boxed, 0, 0)).toEqual([0, 0, 0, 255]);
    expect(at(boxed, 5, 2)).toEqual([5, 0, 7, 255]);
    expect(at(boxed, 0, 5)).toEqual([0, 0, 0, 255]);
    const p = picture(5, 3);
    expect(fitAspect(p, 1, 'stretch')).toBe(p);
    const square = picture(4, 4);
    for (const mode of ['crop', 'letterbox'] as const) expect(fitAspect(square, 1, mode)).toBe(square);
    expect([fitAspect(picture(8, 8), 2, 'crop').width, fitAspect(picture(8, 8), 2, 'crop').height]).toEqual([8, 4]);
  });
});

describe('what the worker sends of a result, and the term explorer', () => {
  const model = smallCnn(4);
  const x = positive([1, 3, 8, 8], 2);

  it('a Grad-CAM++ result carries its map, channel table, setting tags and term maps; Grad-CAM has no term maps', () => {
    const r = explain('gradcam++', model, x, { trace: true, exact: { output: 'softmax' } }) as CamResult;
    const o = methodOutput('gradcam++', r, 12, { trace: true, exact: { output: 'softmax' } });
    expect(o.map).toEqual(Float64Array.from(r.upsampled.data));
    expect(o.tags).toEqual(['exact-softmax']);
    expect(o.channels).toEqual(channelSummary(r.trace!));
    expect(o.terms!.channels).toBe(8);
    expect(o.terms!.alpha).toEqual(Float64Array.from(r.trace!.alpha!.data));
    const g = methodOutput('gradcam', explain('gradcam', model, x, { trace: true }), 1, { trace: true });
    expect(g.terms).toBeUndefined();
    expect(g.channels).toHaveLength(8);
    expect(methodOutput('smoothgrad', explain('smoothgrad', model, x, { samples: 2 }), 1, { samples: 2 }).tags).toEqual(['n2-noise0.15-seed0']);
  });

  it('the six maps of a channel: ReLU(g)·α sums to the channel\'s weight w_k (eq. 19), for closed form, exact and smoothed', () => {
    for (const [method, opts] of [['gradcam++', {}], ['gradcam++-exact', {}], ['smooth-gradcam++', { samples: 3 }]] as const) {
      const r = explain(method, model, x, { trace: true, ...opts }) as CamResult;
      const o = methodOutput(method, r, 0, { trace: true, ...opts });
      for (let k = 0; k < 8; k++) {
        const t = channelTerms(o.terms!, k, o.derivatives!);
        expect(t.maps).toHaveLength(6);
        expect(t.weight, `${method} channel ${k}`).toBeCloseTo(r.weights!.data[k]!, 12);
        expect(t.maps[0]).toEqual(Float64Array.from(r.trace!.A.data.subarray(k * 16, (k + 1) * 16)));
      }
      expect(channelTerms(o.terms!, 0, o.derivatives!).labels.slice(1, 4)).toEqual(termLabels(o.derivatives!));
    }
    expect(termLabels('closed form (g², g³)')).toEqual(['g = ∂S/∂A', 'g²', 'g³']);
    expect(termLabels('exact diagonals of Y = exp(S − S0)')).toEqual(['∂Y/∂A', '∂²Y/∂A²', '∂³Y/∂A³']);
    expect(termLabels('closed form moments over 3 noisy samples')).toEqual(['D1 = mean g', 'D2 = mean g²', 'D3 = mean g³']);
    const o = methodOutput('gradcam++', explain('gradcam++', model, x, { trace: true }), 0, { trace: true });
    expect(() => channelTerms(o.terms!, 8, '')).toThrow('channel 8 is out of range: the layer has 8 channels');
  });

  it('maps are shown scaled to their own range; a constant map is all zeros', () => {
    expect(scaled(Float64Array.of(-2, 0, 2))).toEqual({ values: Float64Array.of(0, 0.5, 1), min: -2, max: 2 });
    expect(scaled(Float64Array.of(3, 3)).values).toEqual(Float64Array.of(0, 0));
  });
});
