/**
 * Files on disk for the Node side (the CLI and `camlab/node`): the package root, reading bytes,
 * pictures (PNG, JPEG) and JSON files with one-line errors, and the bundled models.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RgbaImage } from '../io/rgba.js';
import { loadModel, type LoadedModel } from '../io/model.js';
import { decodeImage } from '../io/decode-image.js';
import type { ImageReadOptions } from '../io/image-limits.js';
import { decodePng } from '../io/png.js';
import { CamlabError } from '../tensor/errors.js';

/** The repository (or installed package) root: where `models/` and `examples/` live. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const BUNDLED_MODELS = ['shapes-cnn', 'mnist-cnn'] as const;

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
 * Reads and decodes a picture file, PNG or JPEG (told apart by their bytes, not the name), to
 * 8-bit RGBA with {@link decodeImage}: pictures of more than `opts.maxPixels` pixels (default
 * DEFAULT_MAX_PIXELS, 50 MP) are refused from their header, before anything is allocated.
 */
export function readImage(path: string, opts: ImageReadOptions = {}): RgbaImage {
  return decodeImage(readBytes(path, 'image'), { ...opts, name: opts.name ?? path });
}

/** File names that a folder of pictures is read for: PNG and JPEG, by extension, any case. */
export const IMAGE_EXTENSIONS: readonly string[] = ['.png', '.jpg', '.jpeg'];

/** The names of the files in a folder whose extension is one of `extensions`, sorted; a missing folder is a one-line camlab error. */
function filesIn(dir: string, extensions: readonly string[]): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CamlabError('images', code === 'ENOENT' ? `folder not found: ${dir}` : code === 'ENOTDIR' ? `${dir} is a file, not a folder` : `cannot read the folder ${dir} (${(e as Error).message})`);
  }
  return names.filter((f) => extensions.some((x) => f.toLowerCase().endsWith(x))).sort();
}

/** The names of the PNG files in a folder, sorted. */
export function pngFiles(dir: string): string[] {
  return filesIn(dir, ['.png']);
}

/** The names of the PNG and JPEG files in a folder ({@link IMAGE_EXTENSIONS}), sorted. */
export function imageFiles(dir: string): string[] {
  return filesIn(dir, IMAGE_EXTENSIONS);
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
 * Loads a bundled model by name (`shapes-cnn`, `mnist-cnn`) or a spec file plus weights.
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
    throw new CamlabError('model', `unknown model '${model}': use ${BUNDLED_MODELS.join(' or ')}, or a spec .json file`);
  }
  const spec = readJson(specPath, 'model spec');
  const bytes = readBytes(weightsPath, 'weights');
  return { ...loadModel(spec, bytes), source: specPath };
}
