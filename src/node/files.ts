/**
 * Files on disk for the Node side (the CLI and `camlab/node`): the package root, reading bytes,
 * images (PNG, JPEG) and JSON files with one-line errors, the bundled models, and classifiers
 * from spec or ONNX files.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbaImage } from '../io/rgba.js';
import { onnxClassifier, specClassifier, type Classifier, type OnnxOverrides } from '../io/classifier.js';
import { decodeImage } from '../io/decode-image.js';
import type { ImageReadOptions } from '../io/image-limits.js';
import { loadModel, type LoadedModel } from '../io/model.js';
import { loadOnnxFile } from '../io/onnx-file.js';
import { decodePng } from '../io/png.js';
import type { DType } from '../tensor/dtype.js';
import { CamlabError } from '../tensor/errors.js';

/** The repository (or installed package) root: where `models/` and `examples/` live. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const BUNDLED_MODELS = ['shapes-cnn', 'shapes-vit', 'mnist-cnn'] as const;

/** Reads a file, turning a missing or unreadable file into a one-line camlab error. */
export function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CamlabError(what, code === 'ENOENT' ? `${what} file not found: ${path}` : `cannot read the ${what} file ${path} (${(e as Error).message})`);
  }
}

/** Reads and decodes a PNG file to 8-bit RGBA (any bit depth, grey, colour or palette). */
export function readPng(path: string): RgbaImage {
  return decodePng(readBytes(path, 'image'), path);
}

/**
 * Reads and decodes a PNG or JPEG file (chosen by its bytes, not its name) to 8-bit RGBA, refusing
 * pictures of more than `maxPixels` pixels (default 50 megapixels) before decoding them.
 */
export function readImage(path: string, opts: ImageReadOptions = {}): RgbaImage {
  return decodeImage(readBytes(path, 'image'), { name: path, ...opts });
}

/** The names of the PNG and JPEG files (by extension) in a folder, sorted; a missing folder is a one-line camlab error. */
export function imageFiles(dir: string): string[] {
  return listFolder(dir).filter((f) => /\.(png|jpe?g)$/i.test(f)).sort();
}

/** The names of the PNG files in a folder, sorted; a missing folder is a one-line camlab error. */
export function pngFiles(dir: string): string[] {
  return listFolder(dir).filter((f) => f.endsWith('.png')).sort();
}

function listFolder(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CamlabError('images', code === 'ENOENT' ? `folder not found: ${dir}` : code === 'ENOTDIR' ? `${dir} is a file, not a folder` : `cannot read the folder ${dir} (${(e as Error).message})`);
  }
  return names;
}

export function readJson(path: string, what: string): unknown {
  const text = Buffer.from(readBytes(path, what)).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CamlabError(what, `${path} is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Loads a bundled model by name (`shapes-cnn`, `shapes-vit`, `mnist-cnn`) or a spec file plus weights.
 * A spec path without weights looks for `model.safetensors` next to it.
 */
export function resolveModel(model: string, weights?: string): LoadedModel & { source: string } {
  let specPath: string;
  let weightsPath: string;
  if ((BUNDLED_MODELS as readonly string[]).includes(model)) {
    specPath = join(ROOT, 'models', model, 'spec.json');
    weightsPath = weights ?? join(ROOT, 'models', model, 'model.safetensors');
  } else if (model.endsWith('.json') || existsSync(model)) {
    specPath = model;
    weightsPath = weights ?? join(dirname(model), 'model.safetensors');
  } else {
    throw new CamlabError('model', `unknown model '${model}': use ${BUNDLED_MODELS.join(', ')}, a spec .json file or an .onnx file`);
  }
  const spec = readJson(specPath, 'model spec');
  const bytes = readBytes(weightsPath, 'weights');
  return { ...loadModel(spec, bytes), source: specPath };
}

/** How {@link loadClassifier} reads a model: weights for a spec; dtype, preprocessing and labels for an ONNX file. */
export interface ClassifierFileOptions {
  /** A spec's safetensors weights (default: model.safetensors next to the spec). */
  weights?: string;
  /** An ONNX model's computation dtype (default float32). */
  dtype?: DType;
  /** An ONNX model's preprocessing and labels, over its sidecar's. */
  onnx?: OnnxOverrides;
}

/** Whether a --model argument names an ONNX file (by its extension). */
export function isOnnxPath(model: string): boolean {
  return /\.onnx$/i.test(model);
}

/**
 * A classifier from disk: a bundled model by name, a spec .json with its weights, or an .onnx
 * file (with its sidecar `<file>.json` when there is one, and external weights beside it).
 * Options that do not apply to the kind of model given are an error naming them.
 */
export function loadClassifier(model: string, opts: ClassifierFileOptions = {}): Classifier {
  if (isOnnxPath(model)) {
    if (opts.weights !== undefined) throw new CamlabError('model', `${model} holds its own weights; weights files are for model specs`);
    const { model: m, sidecar } = loadOnnxFile(model, opts.dtype === undefined ? {} : { dtype: opts.dtype });
    return onnxClassifier(m, { name: basename(model), sidecar, sidecarSource: `${model}.json`, ...(opts.onnx === undefined ? {} : { overrides: opts.onnx }) });
  }
  const onnxOnly = [...(opts.dtype === undefined ? [] : ['dtype']), ...Object.keys(opts.onnx ?? {})];
  if (onnxOnly.length > 0) throw new CamlabError('model', `${onnxOnly.join(', ')} apply to ONNX models (an .onnx file); ${model}'s preprocessing, classes and dtype are in its spec`);
  const { spec, module } = resolveModel(model, opts.weights);
  return specClassifier({ spec, module });
}
