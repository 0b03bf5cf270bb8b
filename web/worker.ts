/**
 * The page's compute worker: loads models (spec JSON + safetensors fetched as ArrayBuffer),
 * converts the picture with `imageToInput`, runs the chosen CAM methods one after another and
 * posts each one's map, overlay, heatmap and Grad-CAM++ terms as soon as it is done, so the page
 * stays responsive and shows progress. Pure camlab: the same code as in Node, Deno and Bun.
 */
import {
  computationKey, defaultLayer, exactOutputOf, explain, imageToInput, inputToImage, loadModel, probeLayers, sameMaps, topClasses, withProgress, zeros,
  type ExplainedMap, type LoadedModel, type MethodResult, type RgbaImage,
} from '../src/index.js';
import type { DescribeRequest, FromWorker, MethodOutput, Rgba, RunRequest, ToWorker } from './protocol.js';
import { hello, methodOutput, runOptions } from './worker-methods.js';

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

function toRgba(img: RgbaImage): Rgba {
  const data = new Uint8ClampedArray(img.width * img.height * 4);
  data.set(img.data);
  return { width: img.width, height: img.height, data };
}


/** Progress messages inside a method at most this often (ms). */
const PROGRESS_EVERY_MS = 100;

async function run(req: RunRequest): Promise<void> {
  const t0 = performance.now();
  const total = req.methods.length + 1;
  post({ type: 'progress', id: req.id, done: 0, total, label: `loading ${req.model.name}` });
  const model = await getModel(req.model);
  const x = imageToInput(req.image, model.spec.input);
  const shown = inputToImage(x, model.spec.input);
  const input = toRgba(shown);
  post({ type: 'prepared', id: req.id, model: req.model.name, input, top: topClasses(model.module, x, model.spec.classes), classes: model.spec.classes }, [input.data.buffer]);
  const opts = runOptions(req.options);
  // Each computation once: with exact mode on, gradcam++-exact is gradcam++'s computation.
  const byKey = new Map<string, MethodOutput>();
  const fresh: ExplainedMap[] = [];
  for (const [i, method] of req.methods.entries()) {
    const label = `computing ${method}` + (method.startsWith('smooth') ? ` (${req.options.samples} noisy samples)` : '');
    post({ type: 'progress', id: req.id, done: i + 1, total, label });
    const key = computationKey(method, opts);
    const earlier = byKey.get(key);
    if (earlier !== undefined) {
      post({ type: 'method', id: req.id, output: { ...earlier, method, ms: 0, sameAs: earlier.method } });
      continue;
    }
    const m0 = performance.now();
    let last = m0;
    let r: MethodResult;
    try {
      r = withProgress((p) => {
        const now = performance.now();
        if (now - last < PROGRESS_EVERY_MS) return;
        last = now;
        post({ type: 'progress', id: req.id, done: i + 1 + p.fraction, total, label: `${label}: ${p.task} ${(100 * p.fraction).toFixed(0)}%` });
      }, () => explain(method, model.module, x, opts));
    } catch (e) {
      post({ type: 'method-error', id: req.id, method, message: e instanceof Error ? e.message : String(e) });
      continue;
    }
    const output = methodOutput(method, r, performance.now() - m0, opts);
    byKey.set(key, output);
    const exactOutput = exactOutputOf(method, opts);
    fresh.push({ name: method, result: r, ...(exactOutput === undefined ? {} : { exactOutput }) });
    post({ type: 'method', id: req.id, output }); // copied, not transferred: a later method may reuse it
  }
  const cam = fresh.map((f) => f.result).find((r) => 'layer' in r);
  post({ type: 'notes', id: req.id, lines: sameMaps(model.module, cam !== undefined && 'layer' in cam ? cam.layer : null, fresh).map((g) => g.reason) });
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

post(hello());

scope.onmessage = (ev: MessageEvent<ToWorker>): void => {
  const req = ev.data;
  if (req.type === 'run') run(req).catch((e: unknown) => post({ type: 'error', id: req.id, message: message(e) }));
  else if (req.type === 'describe') describe(req).catch((e: unknown) => post({ type: 'describe-error', model: req.model.name, message: message(e) }));
};
