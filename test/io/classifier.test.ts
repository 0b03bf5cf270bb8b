import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { infer } from '../../src/nn/infer.js';
import { onnxClassifier, onnxDefaults } from '../../src/io/classifier.js';
import { IMAGENET_CLASSES } from '../../src/io/imagenet-classes.js';
import { loadOnnxFile } from '../../src/io/onnx-file.js';
import { decodePng } from '../../src/io/png.js';
import { IMAGENET_PREPROCESSING, parseOnnxSidecar } from '../../src/io/preprocess.js';
import { loadClassifier } from '../../src/node/files.js';
import { loadOnnx } from '../../src/onnx/index.js';
import { errorOf } from '../support/check.js';
import { DOUBLE, model, tensorProto } from '../onnx/support/encode.js';
import { fixtureBytes } from '../onnx/support/fixtures.js';

const fixture = (f: string): string => new URL(`../fixtures/onnx/${f}`, import.meta.url).pathname;
const picture = decodePng(new Uint8Array(readFileSync(new URL('../../examples/images/shapes-circle-x1.png', import.meta.url))));

/** A one-Conv classifier [N, C, H, W] → [N, 2] (through global pooling and flatten) with the given input dims. */
function tiny(dims: (number | string)[], flatten = true): ReturnType<typeof loadOnnx> {
  const c = typeof dims[1] === 'number' ? dims[1] : 3;
  return loadOnnx(model({
    input: { name: 'x', dims },
    nodes: [
      { op: 'Conv', inputs: ['x', 'w'], outputs: ['a'], name: '/features/Conv' },
      { op: 'GlobalAveragePool', inputs: ['a'], outputs: ['p'] },
      ...(flatten ? [{ op: 'Flatten', inputs: ['p'], outputs: ['y'] }] : []),
    ],
    initializers: [tensorProto('w', DOUBLE, [2, c, 1, 1], Array.from({ length: 2 * c }, (_, i) => 0.1 * (i + 1)))],
  }));
}

describe('the preprocessing an ONNX model gets without a sidecar', () => {
  it('torchvision\'s ImageNet recipe for 224x224 and for symbolic sizes; resize + centre crop to another fixed size', () => {
    expect(onnxDefaults(tiny([1, 3, 224, 224]))).toEqual({ ...IMAGENET_PREPROCESSING });
    expect(onnxDefaults(tiny(['N', 3, 'H', 'W']))).toEqual({ ...IMAGENET_PREPROCESSING });
    expect(onnxDefaults(tiny([1, 3, 64, 96]))).toEqual({ size: 96, crop: [64, 96], mean: IMAGENET_PREPROCESSING.mean, std: IMAGENET_PREPROCESSING.std, channels: 3 });
    expect(onnxDefaults(tiny([1, 1, 28, 28]))).toEqual({ size: 28, crop: [28, 28], mean: [], std: [], channels: 1 });
  });

  it('a sidecar that leaves keys out takes them from the model\'s defaults', () => {
    const m = tiny([1, 3, 64, 64]);
    expect(parseOnnxSidecar({ labels: ['a', 'b'] }, 's.json', onnxDefaults(m))).toMatchObject({ size: 64, crop: [64, 64], channels: 3, labels: ['a', 'b'] });
    expect(parseOnnxSidecar({ mean: [0.5], std: [0.2] }, 's.json', onnxDefaults(tiny([1, 1, 28, 28])))).toMatchObject({ size: 28, crop: [28, 28], channels: 1, mean: [0.5], std: [0.2] });
    expect(errorOf(() => parseOnnxSidecar({ size: 32 }, 's.json', onnxDefaults(tiny([1, 1, 28, 28]))))).toBe('sidecar: s.json: mean is required for 1-channel models');
  });
});

describe('onnxClassifier', () => {
  it('the exported shapes-cnn with its sidecar gives the input and the scores of its spec twin', () => {
    const { model: m, sidecar } = loadOnnxFile(fixture('shapes-cnn.onnx'), { dtype: 'float64' });
    const onnx = onnxClassifier(m, { name: 'shapes-cnn.onnx', sidecar });
    const spec = loadClassifier('shapes-cnn');
    expect(spec.recipe).toBe('area-average resample to 64x64, mean 0.5,0.5,0.5, std 0.25,0.25,0.25 (model spec)');
    expect(onnx.classes).toEqual(spec.classes);
    expect(onnx.input).toEqual(spec.input);
    const x = onnx.toInput(picture);
    expect(Array.from(x.data)).toEqual(Array.from(spec.toInput(picture).data)); // 64x64 in, no resampling either way
    const a = infer(onnx.module, x).data;
    const b = infer(spec.module, x).data;
    Array.from(a).forEach((v, i) => expect(Math.abs(v - b[i]!)).toBeLessThan(1e-5));
    expect(onnx.layerLabel('/features/features.14/Relu_output_0')).toBe('features.14 (/features/features.14/Relu_output_0)');
    expect(onnx.layerLabel('features.10')).toBe('features.10');
  });

  it('labels from the overrides, the sidecar, or the output index; overrides win over the sidecar', () => {
    const m = tiny([1, 3, 8, 8]);
    expect(onnxClassifier(m).classes).toEqual(['0', '1']);
    const sidecar = parseOnnxSidecar({ labels: ['cat', 'dog'] }, 's.json', onnxDefaults(m));
    expect(onnxClassifier(m, { sidecar }).classes).toEqual(['cat', 'dog']);
    expect(onnxClassifier(m, { sidecar, overrides: { labels: ['x', 'y'], size: 10, crop: 8 } }).recipe).toBe(
      'resize the shorter side to 10, centre crop 8, RGB, mean 0.485,0.456,0.406, std 0.229,0.224,0.225 (sidecar; set here: labels, size, crop)',
    );
    expect(onnxClassifier(tiny(['N', 3, 'H', 'W']), { overrides: { size: null, crop: null } }).input).toMatchObject({ height: 224, width: 224 });
  });

  it('what does not fit the model is one line naming where it came from', () => {
    const m = tiny([1, 3, 8, 8]);
    expect(errorOf(() => onnxClassifier(m, { name: 'm.onnx', overrides: { labels: IMAGENET_CLASSES } }))).toBe('model: m.onnx outputs 2 class scores but its labels (the labels given) name 1000 classes');
    expect(errorOf(() => onnxClassifier(m, { name: 'm.onnx', overrides: { crop: 7 } }))).toBe('model: m.onnx takes 3x8x8 input but the preprocessing (defaults: no sidecar and the options given) makes 3x7x7');
    const grey = parseOnnxSidecar({ channels: 1, mean: [0], std: [1] }, 's.json');
    expect(errorOf(() => onnxClassifier(m, { name: 'm.onnx', sidecar: grey, sidecarSource: 's.json' }))).toBe('model: m.onnx takes 3-channel input but its sidecar s.json says 1 channels');
    expect(errorOf(() => onnxClassifier(tiny([1, 3, 8, 8], false), { name: 'm.onnx' }))).toBe('model: m.onnx outputs [1,2,1,1] for one image; a classifier outputs [1, classes]');
    expect(errorOf(() => onnxClassifier(loadOnnx(fixtureBytes('ops-manual.onnx')), { name: 'ops.onnx' }))).toBe('model: ops.onnx takes 2-channel input; camlab makes pictures into 1 (grey) or 3 (RGB) channels');
  });
});
