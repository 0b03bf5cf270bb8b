import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IMAGENET_CLASSES } from '../../src/io/imagenet-classes.js';
import { decodePng } from '../../src/io/png.js';
import { centerCropOrigin, IMAGENET_PREPROCESSING, parseOnnxSidecar, preprocess, resizeAntialiased, resizedSize, type Preprocessing } from '../../src/io/preprocess.js';
import { parseSafetensors } from '../../src/io/safetensors.js';
import { errorOf } from '../support/check.js';

// torchvision's Resize → CenterCrop → ToTensor → Normalize on a PIL image (scripts/onnx-fixtures.py).
const dir = new URL('../fixtures/onnx/', import.meta.url);
const img = decodePng(new Uint8Array(readFileSync(new URL('preprocess.png', dir))));
const ref = parseSafetensors(new Uint8Array(readFileSync(new URL('preprocess.ref.safetensors', dir))));

describe('preprocess matches torchvision (PIL) within 1/255', () => {
  it.each(['down', 'up', 'odd', 'imagenet', 'pair', 'large_crop', 'grey'])('%s', (name) => {
    const recipe = JSON.parse(ref.metadata[name]!) as Preprocessing;
    const expected = ref.tensors.get(name)!;
    const x = preprocess(img, recipe);
    expect([...x.shape]).toEqual([...expected.shape]);
    let worst = 0;
    const plane = x.shape[2]! * x.shape[3]!;
    for (let i = 0; i < x.size; i++) worst = Math.max(worst, Math.abs(x.data[i]! - expected.data[i]!) * recipe.std[Math.floor(i / plane)]!);
    expect(worst).toBeLessThanOrEqual(1 / 255 + 1e-6);
  });
});

describe('preprocessing pieces', () => {
  it('Resize(int) sets the shorter side and truncates the longer, as torchvision', () => {
    expect(resizedSize(375, 500, 256)).toEqual([256, 341]);
    expect(resizedSize(500, 375, 256)).toEqual([341, 256]);
    expect(resizedSize(100, 100, 64)).toEqual([64, 64]);
    expect(resizedSize(10, 20, [7, 9])).toEqual([7, 9]);
  });

  it('centre crops round half offsets to even (Python round)', () => {
    expect(centerCropOrigin(50, 75, 37, 37)).toEqual({ top: 6, left: 19 });
    expect(centerCropOrigin(7, 7, 4, 4)).toEqual({ top: 2, left: 2 });
  });

  it('resizing to the same size is the identity; a constant plane stays constant', () => {
    const p = Float64Array.from({ length: 12 }, (_, i) => i * 3);
    expect(Array.from(resizeAntialiased(p, 4, 3, 4, 3))).toEqual(Array.from(p));
    for (const v of resizeAntialiased(new Float64Array(35).fill(7), 7, 5, 3, 11)) expect(v).toBeCloseTo(7, 12);
  });
});

describe('sidecar', () => {
  it('fills in the ImageNet recipe and resolves "imagenet" labels', () => {
    const s = parseOnnxSidecar({ labels: 'imagenet' });
    expect(s).toMatchObject({ size: 256, crop: 224, mean: IMAGENET_PREPROCESSING.mean, std: IMAGENET_PREPROCESSING.std, channels: 3 });
    expect(s.labels).toBe(IMAGENET_CLASSES);
    expect(IMAGENET_CLASSES.length).toBe(1000);
    expect([IMAGENET_CLASSES[0], IMAGENET_CLASSES[281], IMAGENET_CLASSES[999]]).toEqual(['tench', 'tabby', 'toilet tissue']);
  });

  it('takes sizes, pairs, null, custom stats and label lists', () => {
    const s = parseOnnxSidecar({ size: [240, 320], crop: null, mean: [0.5], std: [0.5], channels: 1, labels: ['a', 'b'] });
    expect(s).toEqual({ size: [240, 320], crop: null, mean: [0.5], std: [0.5], channels: 1, labels: ['a', 'b'] });
  });

  it.each([
    [[1, 2], /must be a JSON object/],
    [{ sise: 256 }, /unknown key 'sise'/],
    [{ size: 0 }, /size must be a positive integer/],
    [{ crop: [224] }, /crop must be a positive integer/],
    [{ mean: [0.5, 0.5] }, /mean must be 3 numbers/],
    [{ std: [1, 0, 1] }, /std entries must be > 0/],
    [{ channels: 2 }, /channels must be 1 or 3/],
    [{ channels: 1 }, /mean is required for 1-channel models/],
    [{ labels: 'imagenet21k' }, /labels must be "imagenet" or a non-empty array of strings/],
  ])('rejects %j in one line', (json, pattern) => {
    const msg = errorOf(() => parseOnnxSidecar(json, 'm.onnx.json'));
    expect(msg).toMatch(/^sidecar: m\.onnx\.json: /);
    expect(msg).toMatch(pattern);
    expect(msg).not.toContain('\n');
  });
});
