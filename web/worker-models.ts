/**
 * The worker's models, loaded once per reference: a bundled spec and its safetensors weights, or
 * an ONNX file (with its optional sidecar) the page opened from disk. Both become a camlab
 * Classifier, so a run does not care which kind it explains.
 */
import { loadModel, loadOnnx, onnxClassifier, onnxDefaults, parseOnnxSidecar, specClassifier, type Classifier } from '../src/index.js';
import type { ModelRef } from './protocol.js';

const models = new Map<string, Promise<Classifier>>();

async function fetchBytes(url: string, what: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot load ${what}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

async function load(ref: ModelRef): Promise<Classifier> {
  if (!('format' in ref)) {
    const [spec, weights] = await Promise.all([fetchBytes(ref.specUrl, ref.specUrl), fetchBytes(ref.weightsUrl, ref.weightsUrl)]);
    return specClassifier(loadModel(JSON.parse(new TextDecoder().decode(spec)) as unknown, new Uint8Array(weights)));
  }
  const side = ref.sidecar;
  const [bytes, sidecarBytes] = await Promise.all([fetchBytes(ref.onnxUrl, ref.name), side === null ? null : fetchBytes(side.url, side.name)]);
  const model = loadOnnx(new Uint8Array(bytes));
  if (side === null || sidecarBytes === null) return onnxClassifier(model, { name: ref.name });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(sidecarBytes));
  } catch (e) {
    throw new Error(`sidecar ${side.name} is not valid JSON (${(e as Error).message})`);
  }
  const sidecar = parseOnnxSidecar(json, side.name, onnxDefaults(model));
  return onnxClassifier(model, { name: ref.name, sidecar, sidecarSource: side.name });
}

/** The classifier a reference names (loaded on first use; a failed load is retried next time). */
export function getModel(ref: ModelRef): Promise<Classifier> {
  const key = 'format' in ref ? `${ref.onnxUrl}|${ref.sidecar?.url ?? ''}` : `${ref.specUrl}|${ref.weightsUrl}`;
  let p = models.get(key);
  if (p === undefined) {
    p = load(ref);
    p.catch(() => models.delete(key));
    models.set(key, p);
  }
  return p;
}
