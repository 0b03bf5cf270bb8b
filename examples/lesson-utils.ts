// Small helpers shared by the lessons: load a bundled model and a sample image from disk.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { imageToInput } from '../src/io/image.js';
import { loadModel, type LoadedModel } from '../src/io/model.js';
import { decodePng } from '../src/io/png.js';
import type { Tensor } from '../src/tensor/tensor.js';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

export function bundledModel(name: 'shapes-cnn' | 'shapes-vit' | 'mnist-cnn'): LoadedModel {
  const spec: unknown = JSON.parse(readFileSync(here(`../models/${name}/spec.json`), 'utf8'));
  return loadModel(spec, new Uint8Array(readFileSync(here(`../models/${name}/model.safetensors`))));
}

export function sampleImage(file: string, model: LoadedModel): Tensor {
  return imageToInput(decodePng(new Uint8Array(readFileSync(here(`images/${file}`))), file), model.spec.input);
}

export function fmt(v: number): string {
  return Math.abs(v) >= 1e-3 || v === 0 ? v.toFixed(4) : v.toExponential(2);
}
