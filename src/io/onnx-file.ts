import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { loadOnnx, type LoadOnnxOptions, type OnnxModel } from '../onnx/index.js';
import { CamlabError } from '../tensor/errors.js';
import { onnxDefaults } from './classifier.js';
import { parseOnnxSidecar, type OnnxSidecar } from './preprocess.js';
import { onnxFail } from '../onnx/errors.js';

/** What {@link loadOnnxFile} returns: the model and its sidecar (`m.onnx.json`) when there is one. */
export interface OnnxFile {
  model: OnnxModel;
  sidecar: OnnxSidecar | null;
  path: string;
}

/**
 * Loads an ONNX model by path (Node only). External-data tensors are read from their side files
 * in the model's folder (a location that leaves the folder is refused); a sidecar `<path>.json`,
 * when present, is parsed and validated (keys it leaves out take {@link onnxDefaults}' values). Missing or unreadable files give a one-line error.
 */
export function loadOnnxFile(path: string, options: Omit<LoadOnnxOptions, 'externalData'> = {}): OnnxFile {
  const bytes = readBytes(path, 'ONNX model');
  const dir = dirname(path);
  const sides = new Map<string, Uint8Array>();
  const externalData = (location: string): Uint8Array => {
    const rel = normalize(location);
    if (isAbsolute(rel) || rel === '..' || rel.startsWith(`..${sep}`)) onnxFail(`external data location '${location}' leaves the model's folder ${dir}`);
    let b = sides.get(rel);
    if (b === undefined) {
      b = readBytes(join(dir, rel), `external data of ${basename(path)}`);
      sides.set(rel, b);
    }
    return b;
  };
  const model = loadOnnx(bytes, { ...options, externalData });
  const sidecarPath = `${path}.json`;
  let sidecar: OnnxSidecar | null = null;
  if (existsSync(sidecarPath)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(sidecarPath, 'utf8'));
    } catch (e) {
      onnxFail(`sidecar ${sidecarPath} is not valid JSON (${(e as Error).message})`);
    }
    sidecar = parseOnnxSidecar(json, sidecarPath, onnxDefaults(model));
  }
  return { model, sidecar, path };
}

function readBytes(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    if (e instanceof CamlabError) throw e;
    const code = (e as { code?: string }).code;
    onnxFail(`cannot read the ${what} ${path}${code === 'ENOENT' ? ' (no such file)' : ` (${(e as Error).message})`}`);
  }
}
