import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { gradCam } from '../../src/cam/gradcam.js';
import { gradCamPlusPlus, type GradCamPlusPlusPreset } from '../../src/cam/gradcampp.js';
import { exactDerivatives, prepare } from '../../src/cam/gradients.js';
import { smoothGradCamPlusPlus } from '../../src/cam/smooth.js';
import { loadModel } from '../../src/io/model.js';
import { tensor } from '../../src/tensor/create.js';
import { expectClose } from '../support/check.js';

// Written by scripts/cam-reference.py: PyTorch float64 re-implementations of each library's formula.
const dir = new URL('../fixtures/cam/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', dir), 'utf8')) as Record<string, unknown> & {
  input: number[]; class: number; score: number; layer: string; exactDiagonals: number[][];
};
const { module } = loadModel(JSON.parse(readFileSync(new URL('spec.json', dir), 'utf8')), new Uint8Array(readFileSync(new URL('model.safetensors', dir))));
const x = tensor(expected.input, { shape: [1, 3, 16, 16] });
const ref = (name: string): { weights: number[]; map: number[]; upsampled?: number[] } => expected[name] as never;
const opts = { layer: expected.layer, target: expected.class };

describe('camlab reproduces the well-known implementations (PyTorch reference numbers)', () => {
  it('the model loads from a PyTorch state_dict and gives the same class score', () => {
    expect(gradCam(module, x, opts).scores[0]).toBeCloseTo(expected.score, 12);
  });

  it('Grad-CAM weights, map and upsampled map match F.interpolate(bilinear, align_corners=False)', () => {
    const r = gradCam(module, x, opts);
    expectClose(r.weights!.data, ref('gradcam').weights, 1e-14, 1e-10);
    expectClose(r.map.data, ref('gradcam').map, 1e-14, 1e-10);
    expectClose(r.upsampled.data, ref('gradcam').upsampled!, 1e-12, 1e-10);
  });

  // The official code and tf-keras-vis multiply the weights by exp(S) (their first derivative is
  // exp(S)·g); camlab leaves that constant out, so their weights are camlab's times exp(S).
  it.each([
    ['camlab', 'paper', 1],
    ['pytorch-grad-cam', 'pytorch-grad-cam', 1],
    ['torchcam', 'torchcam', 1],
    ['official', 'official', Math.exp(expected.score)],
    ['tf-keras-vis', 'tf-keras-vis', Math.exp(expected.score)],
  ] as const)('Grad-CAM++ preset %s gives %s numbers (× %d)', (preset, name, factor) => {
    const r = gradCamPlusPlus(module, x, { ...opts, preset: preset as GradCamPlusPlusPreset });
    expectClose(r.weights!.toFlatArray().map((v) => v * factor), ref(name).weights, 1e-14, 1e-9);
    expectClose(r.map.toFlatArray().map((v) => v * factor), ref(name).map, 1e-14, 1e-9);
  });

  it('the presets really differ from each other on this model', () => {
    const w = (n: string): number[] => ref(n).weights;
    expect(w('paper')).not.toEqual(w('torchcam'));
    expect(w('paper')).not.toEqual(w('official'));
    expect(Math.max(...w('paper').map((v, i) => Math.abs(v - w('pytorch-grad-cam')[i]!)))).toBeGreaterThan(0);
  });

  it("torchcam's Smooth Grad-CAM++ (zero noise) equals the torchcam preset", () => {
    const r = smoothGradCamPlusPlus(module, x, { ...opts, preset: 'torchcam', samples: 2, noise: 0 });
    expectClose(r.weights!.data, ref('torchcam-smooth').weights, 1e-14, 1e-9);
  });

  it('exact diagonals of Y = exp(S − S0) match nested torch.autograd.grad', () => {
    const d = exactDerivatives(prepare(module, x, opts));
    for (const [flat, e1, e2, e3] of expected.exactDiagonals) {
      expectClose([d.d1.data[flat!]!, d.d2.data[flat!]!, d.d3.data[flat!]!], [e1!, e2!, e3!], 1e-13, 1e-9);
    }
  });
});
