/**
 * The page's compute worker: loads models (spec JSON + safetensors fetched as ArrayBuffer, or an
 * ONNX file and its sidecar opened from disk, see worker-models.ts), converts the picture as the
 * model expects (`imageToInput` for specs, the sidecar's resize/crop/normalization for ONNX), runs the chosen CAM methods one after another and
 * posts each one's map, overlay, heatmap and Grad-CAM++ terms as soon as it is done, so the page
 * stays responsive and shows progress. Pure camlab: the same code as in Node, Deno and Bun.
 */
import {
  backendInfo, channelSummary, defaultLayer, explain, heatmap, inputToImage, OnnxModel, overlay, probeLayers, topClasses, zeros,
  type MethodResult, type RgbaImage,
} from '../src/index.js';
import type { DescribeRequest, FromWorker, LayerChoice, MethodOutput, Rgba, RunRequest, ToWorker } from './protocol.js';
import { hello, runOptions } from './worker-methods.js';
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


async function run(req: RunRequest): Promise<void> {
  const t0 = performance.now();
  const total = req.methods.length + 1;
  post({ type: 'progress', id: req.id, done: 0, total, label: `loading ${req.model.name}` });
  const model = await getModel(req.model);
  const x = model.toInput(req.image);
  const shown = inputToImage(x, model.input);
  const input = toRgba(shown);
  post({ type: 'prepared', id: req.id, model: req.model.name, input, top: topClasses(model.module, x, model.classes), classes: [...model.classes], engine: engine() }, [input.data.buffer]);
  for (const [i, method] of req.methods.entries()) {
    post({ type: 'progress', id: req.id, done: i + 1, total, label: `computing ${method}` + (method.startsWith('smooth') ? ` (${req.options.samples} noisy samples)` : '') });
    const m0 = performance.now();
    let r: MethodResult;
    try {
      r = explain(method, model.module, x, runOptions(req.options));
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
      if (r.trace !== undefined) {
        output.channels = channelSummary(r.trace);
        output.derivatives = r.trace.derivatives;
      }
    }
    post({ type: 'method', id: req.id, output }, [map.buffer, ov.data.buffer, hm.data.buffer]);
  }
  post({ type: 'progress', id: req.id, done: total, total, label: 'done' });
  post({ type: 'done', id: req.id, totalMs: performance.now() - t0 });
}

/**
 * The model's possible target layers (4-D outputs larger than 1×1; for an ONNX graph its
 * candidates before global pooling, with module paths) and the default one, its classes and recipe.
 */
async function describe(req: DescribeRequest): Promise<void> {
  const model = await getModel(req.model);
  const { channels, height, width } = model.input;
  const x = zeros([1, channels, height, width]);
  const layers: LayerChoice[] = model.module instanceof OnnxModel
    ? model.module.camLayers().map((l) => ({ name: l.name, type: l.op, shape: l.shape, ...(l.alias === '' ? {} : { alias: l.alias }) }))
    : probeLayers(model.module, x).filter((l) => l.shape.length === 4 && l.shape[2]! * l.shape[3]! > 1).map((l) => ({ name: l.name, type: l.type, shape: l.shape }));
  post({
    type: 'described', model: req.model.name, layers, defaultLayer: defaultLayer(model.module, x),
    classes: [...model.classes], input: { channels, height, width }, recipe: model.recipe,
  });
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

post(hello());

scope.onmessage = (ev: MessageEvent<ToWorker>): void => {
  const req = ev.data;
  if (req.type === 'run') run(req).catch((e: unknown) => post({ type: 'error', id: req.id, message: message(e) }));
  else if (req.type === 'describe') describe(req).catch((e: unknown) => post({ type: 'describe-error', model: req.model.name, message: message(e) }));
};
