/**
 * The page's compute worker: loads models (spec JSON + safetensors fetched as ArrayBuffer, or an
 * ONNX file and its sidecar opened from disk, see worker-models.ts), converts the picture as the
 * model expects (`imageToInput` for specs, the sidecar's resize/crop/normalization for ONNX), runs the chosen CAM methods one after another and
 * posts each one's map, overlay, heatmap and Grad-CAM++ terms as soon as it is done, so the page
 * stays responsive and shows progress. Pure camlab: the same code as in Node, Deno and Bun.
 */
import {
  applicableMethods, backendInfo, computationKey, defaultLayer, exactOutputOf, explain, inputToImage, OnnxModel, probeLayers, sameMaps, topClasses, withProgress, zeros,
  type ExplainedMap, type MethodResult, type RgbaImage,
} from '../src/index.js';
import type { DescribeRequest, FromWorker, LayerChoice, MethodOutput, Rgba, RunRequest, ToWorker } from './protocol.js';
import { hello, methodOutput, runOptions } from './worker-methods.js';
import { getModel } from './worker-models.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
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


/** Progress messages inside a method at most this often (ms). */
const PROGRESS_EVERY_MS = 100;

async function run(req: RunRequest): Promise<void> {
  const t0 = performance.now();
  const total = req.methods.length + 1;
  post({ type: 'progress', id: req.id, done: 0, total, label: `loading ${req.model.name}` });
  const model = await getModel(req.model);
  const x = model.toInput(req.image);
  const shown = inputToImage(x, model.input);
  const input = toRgba(shown);
  post({ type: 'prepared', id: req.id, model: req.model.name, input, top: topClasses(model.module, x, model.classes), classes: [...model.classes], engine: engine() }, [input.data.buffer]);
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

/**
 * The model's possible target layers (feature maps larger than 1×1, a ViT's token grids; for an
 * ONNX graph its candidates before global pooling, with module paths) and the default one, its
 * classes and recipe, and the methods that apply to it.
 */
async function describe(req: DescribeRequest): Promise<void> {
  const model = await getModel(req.model);
  const { channels, height, width } = model.input;
  const x = zeros([1, channels, height, width]);
  const layers: LayerChoice[] = model.module instanceof OnnxModel
    ? model.module.camLayers().map((l) => ({ name: l.name, type: l.op, shape: l.shape, ...(l.alias === '' ? {} : { alias: l.alias }) }))
    : probeLayers(model.module, x).filter((l) => l.camLayer).map((l) => ({ name: l.name, type: l.type, shape: l.shape }));
  post({
    type: 'described', model: req.model.name, layers, defaultLayer: defaultLayer(model.module, x),
    classes: [...model.classes], input: { channels, height, width }, recipe: model.recipe,
    methods: applicableMethods(model.module).map((d) => d.name),
  });
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

post(hello());

scope.onmessage = (ev: MessageEvent<ToWorker>): void => {
  const req = ev.data;
  if (req.type === 'run') run(req).catch((e: unknown) => post({ type: 'error', id: req.id, message: message(e) }));
  else if (req.type === 'describe') describe(req).catch((e: unknown) => post({ type: 'describe-error', model: req.model.name, message: message(e) }));
};
