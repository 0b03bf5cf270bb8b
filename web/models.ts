/**
 * The models the page can explain with: the build's bundled models (manifest.json) and ONNX
 * files the user opens from disk. An opened file becomes a blob: URL that the worker fetches and
 * loads with camlab's own ONNX reader: the file never leaves the browser.
 */
import type { ManifestModel, ModelRef } from './protocol.js';

/** The ONNX model opened from disk (one at a time; opening another replaces it) and how the worker loads it. */
let opened: ManifestModel | null = null;
let openedRef: ModelRef | null = null;

/** Models opened from disk, to list after the bundled ones. */
export function openedModels(): ManifestModel[] {
  return opened === null ? [] : [opened];
}

/**
 * Takes the files picked in the ONNX file input: one .onnx file and, optionally, its sidecar
 * .json (preprocessing and labels, as `m.onnx.json` next to a model for the CLI). Returns the new
 * model entry, or a one-line reason when the choice is not one .onnx file (plus at most one .json).
 */
export function openOnnxFiles(files: readonly File[]): ManifestModel | string {
  const onnx = files.filter((f) => /\.onnx$/i.test(f.name));
  const json = files.filter((f) => /\.json$/i.test(f.name));
  const other = files.filter((f) => !onnx.includes(f) && !json.includes(f));
  if (onnx.length !== 1 || json.length > 1 || other.length > 0) {
    return `choose one .onnx file and, optionally, its sidecar .json (got ${files.map((f) => f.name).join(', ') || 'nothing'})`;
  }
  if (opened !== null) {
    URL.revokeObjectURL(opened.weights!);
    if (opened.spec !== undefined) URL.revokeObjectURL(opened.spec);
  }
  const model = onnx[0]!;
  const sidecar = json.length === 1 ? { url: URL.createObjectURL(json[0]!), name: json[0]!.name } : null;
  opened = {
    name: model.name, available: true, format: 'onnx', weights: URL.createObjectURL(model),
    ...(sidecar === null ? {} : { spec: sidecar.url }),
    description: `${model.name}${sidecar === null ? '' : ` with ${sidecar.name}`}, opened from disk (it stays in this browser).`,
  };
  openedRef = { name: model.name, format: 'onnx', onnxUrl: opened.weights!, sidecar };
  return opened;
}

/** How the worker loads a model, or null when it is not available. */
export function modelRef(m: ManifestModel | undefined): ModelRef | null {
  if (m === undefined || !m.available || m.weights === undefined) return null;
  const url = (u: string): string => new URL(u, document.baseURI).href;
  if (m.format === 'onnx') return m === opened ? openedRef : null;
  if (m.spec === undefined) return null;
  return { name: m.name, specUrl: url(m.spec), weightsUrl: url(m.weights) };
}
