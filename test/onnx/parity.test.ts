import { describe, expect, it } from 'vitest';
import { noGrad } from '../../src/autodiff/mode.js';
import { gradCam } from '../../src/cam/gradcam.js';
import { gradCamPlusPlus } from '../../src/cam/gradcampp.js';
import { layerGradients, prepare } from '../../src/cam/gradients.js';
import { ARCHS, loadFixture, reference, relError } from './support/fixtures.js';

// Reduced torchvision classifiers exported by scripts/onnx-fixtures.py, against PyTorch's own
// numbers: logits of the float32 model (opset 17 and opset 11 exports) and of the float64 model,
// and at pytorch-grad-cam's recommended layer (float64): A, dS/dA and the Grad-CAM and
// Grad-CAM++ (pytorch-grad-cam's eps = 1e-6) channel weights. Errors are relative to the largest
// reference value of each tensor.
describe.each(ARCHS)('%s matches PyTorch', (arch) => {
  const ref = reference(arch);
  const x = ref.get('input');

  it.each([`${arch}.onnx`, `${arch}.opset11.onnx`])('float32 logits of %s within 1e-4', (file) => {
    const m = loadFixture(file);
    const y = noGrad(() => m.forward(x));
    expect(y.dtype).toBe('float32');
    expect([...y.shape]).toEqual([...ref.get('logits_f32').shape]);
    expect(relError(y.data, ref.get('logits_f32').data)).toBeLessThan(1e-4);
  });

  it('float64 logits within 1e-10; A, dS/dA, Grad-CAM and Grad-CAM++ weights within 1e-9', () => {
    const m = loadFixture(`${arch}.f64.onnx`, { dtype: 'float64' });
    expect(relError(noGrad(() => m.forward(x)).data, ref.get('logits_f64').data)).toBeLessThan(1e-10);
    const opts = { layer: ref.layer, target: ref.cls };
    const { a, g } = layerGradients(prepare(m, x, opts));
    expect([...a.shape]).toEqual([...ref.get('activation').shape]);
    expect(relError(a.data, ref.get('activation').data)).toBeLessThan(1e-9);
    expect(relError(g.data, ref.get('gradient').data)).toBeLessThan(1e-9);
    expect(relError(gradCam(m, x, opts).weights!.data, ref.get('gradcam').data)).toBeLessThan(1e-9);
    const pp = gradCamPlusPlus(m, x, { ...opts, preset: 'pytorch-grad-cam' });
    expect(relError(pp.weights!.data, ref.get('gradcampp').data)).toBeLessThan(1e-9);
  });
});
