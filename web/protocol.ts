/**
 * Messages between the page (web/main.ts) and the worker (web/worker.ts), and the build's
 * manifest.json. Plain data only: everything crosses postMessage by structured clone, with the
 * big typed arrays transferred.
 */

import type { RankedClass } from '../src/cam/classify.js';

/** Methods the page offers, in display order (names as in camlab's `explain`). */
export const WEB_METHODS = [
  { name: 'gradcam', label: 'Grad-CAM' },
  { name: 'gradcam++', label: 'Grad-CAM++' },
  { name: 'gradcam++-exact', label: 'Grad-CAM++ (exact)' },
  { name: 'smooth-gradcam++', label: 'Smooth Grad-CAM++' },
  { name: 'xgradcam', label: 'XGrad-CAM' },
  { name: 'layercam', label: 'Layer-CAM' },
  { name: 'scorecam', label: 'Score-CAM' },
  { name: 'cam', label: 'CAM' },
  { name: 'smoothgrad', label: 'SmoothGrad' },
] as const;

export type WebMethod = (typeof WEB_METHODS)[number]['name'];

export interface ManifestModel {
  name: string;
  available: boolean;
  /** Why it is missing (when not available). */
  reason?: string;
  spec?: string;
  weights?: string;
  classes?: string[];
  input?: { channels: number; height: number; width: number };
  description?: string;
}

export interface ManifestImage {
  file: string;
  name: string;
  /** The bundled model that fits the picture. */
  model: string;
}

export interface Manifest {
  models: ManifestModel[];
  images: ManifestImage[];
  built: string;
}

export interface Rgba {
  width: number;
  height: number;
  data: Uint8ClampedArray<ArrayBuffer>;
}

export interface RunOptions {
  /** 'predicted' or a class index. */
  target: 'predicted' | number;
  samples: number;
  noise: number;
  seed: number;
  /** Exact higher-order derivatives for gradcam++ and smooth-gradcam++. */
  exact: boolean;
  /** Y whose derivatives the exact mode (and gradcam++-exact) uses. */
  exactOutput: 'exp' | 'softmax' | 'raw';
  colormap: 'jet' | 'viridis' | 'inferno' | 'gray';
  /** Overlay opacity of the heatmap. */
  alpha: number;
  /** Target layer by state-dict name (null: the default, the last 4-D layer). */
  layer: string | null;
}

export interface RunRequest {
  type: 'run';
  id: number;
  model: { name: string; specUrl: string; weightsUrl: string };
  image: Rgba;
  methods: WebMethod[];
  options: RunOptions;
}

/** Asks for a model's layers with 4-D outputs (the possible CAM target layers). */
export interface DescribeRequest {
  type: 'describe';
  model: { name: string; specUrl: string; weightsUrl: string };
}

export type ToWorker = RunRequest | DescribeRequest;

export interface LayerChoice {
  name: string;
  type: string;
  /** Output shape [1, K, h, w]. */
  shape: number[];
}

export interface Described {
  type: 'described';
  model: string;
  layers: LayerChoice[];
  defaultLayer: string;
}

export interface DescribeError {
  type: 'describe-error';
  model: string;
  message: string;
}

export interface ChannelRow {
  k: number;
  sumA: number;
  weight: number;
  alphaMean: number;
  alphaMax: number;
  /** Σ_ij ReLU(g) (the gradient mass the weight sums over). */
  reluGradSum: number;
}

export interface MethodOutput {
  method: WebMethod;
  /** Method label as the library reports it (e.g. 'gradcam++ (exact)'). */
  reported: string;
  ms: number;
  classIndex: number;
  flat: boolean;
  width: number;
  height: number;
  /** The upsampled, normalized map (row-major H×W float64). */
  map: Float64Array<ArrayBuffer>;
  overlay: Uint8ClampedArray<ArrayBuffer>;
  heatmap: Uint8ClampedArray<ArrayBuffer>;
  /** Per-channel terms of Grad-CAM++ (trace), for gradcam++ / gradcam++-exact / smooth-gradcam++. */
  channels?: ChannelRow[];
  derivatives?: string;
  layer?: string;
}

/** A ranked class, as camlab's `topClasses` returns it. */
export type TopClass = RankedClass;

export interface Progress {
  type: 'progress';
  id: number;
  done: number;
  total: number;
  label: string;
}

/** Sent once the model ran on the image, before the methods. */
export interface Prepared {
  type: 'prepared';
  id: number;
  model: string;
  /** The model input shown as a picture (after resampling and normalization, inverted). */
  input: Rgba;
  top: TopClass[];
  classes: string[];
  /** Which kernels compute, on how many threads (and why one, if so). */
  engine: string;
}

/** One method's output, sent as soon as it is computed. */
export interface MethodDone {
  type: 'method';
  id: number;
  output: MethodOutput;
}

/** A method that failed (e.g. CAM at a layer not followed by global pooling + linear); the run goes on. */
export interface MethodFailed {
  type: 'method-error';
  id: number;
  method: WebMethod;
  message: string;
}

export interface RunDone {
  type: 'done';
  id: number;
  totalMs: number;
}

export interface RunError {
  type: 'error';
  id: number;
  message: string;
}

export type FromWorker = Progress | Prepared | MethodDone | MethodFailed | RunDone | RunError | Described | DescribeError;

/** What the page exposes on `window.camlab` for automated checks (see web/main.ts). */
export interface PageState {
  manifest: Manifest | null;
  picture: { caption: string; width: number; height: number; rgba: () => number[] } | null;
  run: {
    model: string;
    top: Prepared['top'] | null;
    outputs: Array<{ method: WebMethod; reported: string; classIndex: number; flat: boolean; width: number; height: number; map: number[]; channels?: ChannelRow[] }>;
    failures: Array<{ method: WebMethod; message: string }>;
    totalMs: number | null;
  } | null;
  /** Target layers of the selected model (after the worker described it). */
  layers: { model: string; names: string[]; defaultLayer: string } | null;
  error: string | null;
}

