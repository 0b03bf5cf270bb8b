import { describe, expect, it, vi } from 'vitest';
import { explain } from '../../src/cam/methods.js';
import type { CamResult } from '../../src/cam/result.js';
import * as conv from '../../src/tensor/conv.js';
import type { OnnxModel } from '../../src/onnx/index.js';
import { loadFixture, reference } from './support/fixtures.js';

// A CAM cut of an ONNX graph runs, as its head, only the graph's steps after the layer on the
// values of the pass that cut it (headAfter), not the whole graph again: same maps, less work.

/** The same model with the fast head turned off (the general path: re-run with the output replaced). */
function withoutHeadAfter(m: OnnxModel): OnnxModel {
  const slow = Object.create(m) as OnnxModel;
  Object.defineProperty(slow, 'headAfter', { value: () => null });
  return slow;
}

describe('ONNX graph heads', () => {
  const m = loadFixture('resnet18.f64.onnx', { dtype: 'float64' });
  const ref = reference('resnet18');
  const x = ref.get('input');
  const bits = (r: CamResult): number[][] => [Array.from(r.upsampled.data), Array.from(r.weights!.data)];

  it('give the maps of the general path, at the last layer and inside a residual block, exact derivatives too', () => {
    for (const layer of ['layer4', 'layer3.0.conv1', '/layer2/layer2.0/relu/Relu_output_0']) {
      for (const [method, extra] of [['gradcam', {}], ['gradcam++', {}], ['gradcam++-exact', { exact: { batchSize: 512 } }]] as const) {
        const fast = explain(method, m, x, { layer, target: ref.cls, ...extra }) as CamResult;
        const slow = explain(method, withoutHeadAfter(m), x, { layer, target: ref.cls, ...extra }) as CamResult;
        expect(bits(fast), `${method} at ${layer}`).toEqual(bits(slow));
      }
    }
  });

  it('run only the convolutions after the layer', () => {
    const spy = vi.spyOn(conv, 'conv2d');
    explain('gradcam', m, x, { layer: 'layer4', target: ref.cls });
    const fast = spy.mock.calls.length;
    spy.mockClear();
    explain('gradcam', withoutHeadAfter(m), x, { layer: 'layer4', target: ref.cls });
    const slow = spy.mock.calls.length;
    spy.mockRestore();
    // The cut pass runs every convolution once; the general head runs them all again.
    expect(fast).toBeGreaterThan(0);
    expect(slow).toBe(2 * fast);
  });
});
