/**
 * The page's compute worker: loads models (spec JSON + safetensors fetched as ArrayBuffer),
 * converts the picture with `imageToInput`, runs the chosen CAM methods one after another and
 * posts each one's map, overlay, heatmap and Grad-CAM++ terms as soon as it is done, so the page
 * stays responsive and shows progress. Pure camlab: the same code as in Node, Deno and Bun.
 */
import {
  backendInfo, defaultLayer, explain, heatmap, imageToInput, inputToImage, loadModel, overlay, probeLayers, topClasses, zeros,
  type CamResult, type ExplainOptions, type LoadedModel, type RgbaImage, type SaliencyResult,
} from '../src/index.js';
import type { ChannelRow, DescribeRequest, FromWorker, MethodOutput, Rgba, RunRequest, ToWorker } from './protocol.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const models = new Map<string, Promise<LoadedModel>>();

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
}

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`cannot load ${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

function getModel(m: RunRequest['model']): Promise<LoadedModel> {
  const key = `${m.specUrl}|${m.weightsUrl}`;
  let p = models.get(key);
  if (p === undefined) {
    p = (async () => {
      const [spec, weights] = await Promise.all([fetchBytes(m.specUrl), fetchBytes(m.weightsUrl)]);
      return loadModel(JSON.parse(new TextDecoder().decode(spec)) as unknown, new Uint8Array(weights));
    })();
    p.catch(() => models.delete(key));
    models.set(key, p);
  }
  return p;
}

/** "WebAssembly SIMD kernels · 4 threads", or why there is one thread (no cross-origin isolation). */
function engine(): string {
  const b = backendInfo();
  const kernels = b.backend === 'wasm' ? 'WebAssembly SIMD kernels' : `JavaScript kernels${b.reason === null ? '' : ` (${b.reason})`}`;
  return `${kernels} · ${b.threads.reason === null ? `${b.threads.requested} thread${b.threads.requested === 1 ? '' : 's'}` : `1 thread: ${b.threads.reason}`}`;
}

function toRgba(img: RgbaImage): Rgba {
  const data = new Uint8ClampedArray(img.width * img.height * 4);
  data.set(img.data);
  return { width: img.width, height: img.height, data };
}


/** Per-channel Grad-CAM++ terms of image 0 from a trace: ΣA_k, w_k, mean and max α, Σ ReLU(g). */
function channelRows(r: CamResult): ChannelRow[] | undefined {
  const t = r.trace;
  if (t === undefined || t.alpha === undefined || t.weights === undefined || t.sumA === undefined) return undefined;
  const [, k, h, w] = t.alpha.shape as [number, number, number, number];
  const per = h * w;
  const rows: ChannelRow[] = [];
  for (let c = 0; c < k; c++) {
    let am = 0;
    let ax = 0;
    let gs = 0;
    for (let i = c * per; i < (c + 1) * per; i++) {
      const a = t.alpha.data[i]!;
      am += a;
      if (a > ax) ax = a;
      const g = t.d1.data[i]!;
      if (g > 0) gs += g;
    }
    rows.push({ k: c, sumA: t.sumA.data[c]!, weight: t.weights.data[c]!, alphaMean: am / per, alphaMax: ax, reluGradSum: gs });
  }
  return rows;
}

function optionsFor(method: string, req: RunRequest): ExplainOptions {
  const o = req.options;
  const opts: ExplainOptions = { target: o.target, samples: o.samples, noise: o.noise, seed: o.seed };
  if (o.layer !== null) opts.layer = o.layer;
  if (method === 'gradcam++' || method === 'smooth-gradcam++') {
    opts.trace = true;
    if (o.exact) opts.exact = { output: o.exactOutput };
  } else if (method === 'gradcam++-exact') {
    opts.trace = true;
    opts.exact = { output: o.exactOutput };
  }
  return opts;
}

async function run(req: RunRequest): Promise<void> {
  const t0 = performance.now();
  const total = req.methods.length + 1;
  post({ type: 'progress', id: req.id, done: 0, total, label: `loading ${req.model.name}` });
  const model = await getModel(req.model);
  const x = imageToInput(req.image, model.spec.input);
  const shown = inputToImage(x, model.spec.input);
  const input = toRgba(shown);
  post({ type: 'prepared', id: req.id, model: req.model.name, input, top: topClasses(model.module, x, model.spec.classes), classes: model.spec.classes, engine: engine() }, [input.data.buffer]);
  for (const [i, method] of req.methods.entries()) {
    post({ type: 'progress', id: req.id, done: i + 1, total, label: `computing ${method}` + (method.startsWith('smooth') ? ` (${req.options.samples} noisy samples)` : '') });
    const m0 = performance.now();
    let r: CamResult | SaliencyResult;
    try {
      r = explain(method, model.module, x, optionsFor(method, req));
    } catch (e) {
      post({ type: 'method-error', id: req.id, method, message: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const ms = performance.now() - m0;
    const [, h, w] = r.upsampled.shape as [number, number, number];
    const map = new Float64Array(h * w);
    map.set(r.upsampled.data.subarray(0, h * w));
    const ov = toRgba(overlay(shown, r.upsampled, { colormap: req.options.colormap, alpha: req.options.alpha }));
    const hm = toRgba(heatmap(r.upsampled, req.options.colormap));
    const output: MethodOutput = {
      method, reported: r.method, ms, classIndex: r.classes[0]!, flat: r.flat[0]!, width: w, height: h,
      map, overlay: ov.data, heatmap: hm.data,
    };
    if ('layer' in r) {
      output.layer = r.layer;
      const rows = channelRows(r);
      if (rows !== undefined) output.channels = rows;
      if (r.trace !== undefined) output.derivatives = r.trace.derivatives;
    }
    post({ type: 'method', id: req.id, output }, [map.buffer, ov.data.buffer, hm.data.buffer]);
  }
  post({ type: 'progress', id: req.id, done: total, total, label: 'done' });
  post({ type: 'done', id: req.id, totalMs: performance.now() - t0 });
}

/** The model's layers with a 4-D output larger than 1×1 (the possible target layers) and the default one. */
async function describe(req: DescribeRequest): Promise<void> {
  const model = await getModel(req.model);
  const { channels, height, width } = model.spec.input;
  const x = zeros([1, channels, height, width]);
  const layers = probeLayers(model.module, x)
    .filter((l) => l.shape.length === 4 && l.shape[2]! * l.shape[3]! > 1)
    .map((l) => ({ name: l.name, type: l.type, shape: l.shape }));
  post({ type: 'described', model: req.model.name, layers, defaultLayer: defaultLayer(model.module, x) });
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

scope.onmessage = (ev: MessageEvent<ToWorker>): void => {
  const req = ev.data;
  if (req.type === 'run') run(req).catch((e: unknown) => post({ type: 'error', id: req.id, message: message(e) }));
  else if (req.type === 'describe') describe(req).catch((e: unknown) => post({ type: 'describe-error', model: req.model.name, message: message(e) }));
};
