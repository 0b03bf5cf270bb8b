/**
 * The page: picks a picture (bundled sample, upload, or a drawn digit), a model, methods, a class
 * and options, sends the work to the worker (web/worker.ts) and shows the overlays side by side,
 * the top classes and the per-channel Grad-CAM++ terms. Pictures are decoded by the browser
 * (createImageBitmap → canvas → getImageData, no colour conversion, no premultiplication), the
 * same 8-bit RGBA that pngjs gives in Node, so the maps equal the ones Node computes.
 *
 * For tests the page publishes its state on `document.body.dataset.state` (loading, ready,
 * running, done, error) and the last run on `window.camlab` (maps as plain number arrays).
 */
import type { ChannelRow, Described, FromWorker, Hello, Manifest, ManifestModel, MethodOutput, PageState, Prepared, Rgba, RunOptions, WebMethod, WebMethodInfo } from './protocol.js';
import { heatmap } from '../src/cam/render.js';
import { Tensor } from '../src/tensor/tensor.js';
import { centreDigit } from './digit.js';
import { fitAspect, FIT_MODES, type FitMode } from './fit.js';
import { modelRef, openedModels, openOnnxFiles } from './models.js';
import { putImage, ResultsView, type DrawStyle } from './results-view.js';
import { channelTerms, scaled } from './term-maps.js';

interface Picture {
  image: Rgba;
  caption: string;
  /** The model that fits it (samples and drawings), if any. */
  model?: string;
}

declare global {
  interface Window {
    camlab: PageState;
  }
}

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page element #${id} is missing`);
  return el as T;
};

/** The result tiles (set up at start). */
const views: { results: ResultsView | null } = { results: null };
const state: PageState = {
  manifest: null, methods: [], offered: null, picture: null, run: null, layers: null, error: null,
  drawn: { colormap: 'jet', alpha: 0.5, redraws: 0 },
  overlayPixels: (method) => views.results?.overlayPixels(method) ?? null,
  terms: null,
  fit: 'crop',
};
window.camlab = state;

let picture: Picture | null = null;
/** The methods the worker offers (camlab's registry), from its hello. */
let methods: WebMethodInfo[] = [];
let noiseDefaults: Hello['defaults'] = { samples: 1, noise: 0 };
/** Resolves on the first hello, so the page is ready only once its method list is there. */
let helloReceived: (h: Hello) => void = () => {};
const firstHello = new Promise<Hello>((resolve) => {
  helloReceived = resolve;
});
let worker: Worker | null = null;
let runId = 0;
let timer: number | undefined;

function setState(s: 'loading' | 'ready' | 'running' | 'done' | 'error'): void {
  document.body.dataset.state = s;
}

function showError(message: string | null): void {
  const el = $('error');
  el.hidden = message === null;
  el.textContent = message ?? '';
  state.error = message;
}

// ---------------------------------------------------------------------------------------------
// Pictures

/** Decodes a picture file to 8-bit RGBA exactly as stored (no colour management, no premultiplied alpha). */
async function decode(blob: Blob, maxSide = 2048): Promise<Rgba> {
  const bmp = await createImageBitmap(blob, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
  let w = bmp.width;
  let h = bmp.height;
  const scale = Math.min(1, maxSide / Math.max(w, h));
  if (scale < 1) {
    w = Math.max(1, Math.round(w * scale));
    h = Math.max(1, Math.round(h * scale));
  }
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true, colorSpace: 'srgb' });
  if (ctx === null) throw new Error('this browser has no 2D canvas');
  if (scale < 1) ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(bmp, 0, 0, w, h);
  bmp.close();
  const data = ctx.getImageData(0, 0, w, h, { colorSpace: 'srgb' }).data;
  return { width: w, height: h, data: new Uint8ClampedArray(data) };
}

function setPicture(p: Picture): void {
  picture = p;
  state.picture = { caption: p.caption, width: p.image.width, height: p.image.height, rgba: () => Array.from(p.image.data) };
  putImage($<HTMLCanvasElement>('picture'), p.image);
  $('picture-caption').textContent = `${p.caption} (${p.image.width}×${p.image.height})`;
  // A sample picks its bundled model, unless the user is explaining an ONNX model of their own.
  if (p.model !== undefined && currentModel()?.format !== 'onnx') selectModel(p.model);
  updateRunButton();
}

async function loadSample(file: string, name: string, model: string, button: HTMLButtonElement): Promise<void> {
  for (const b of document.querySelectorAll('#samples button')) b.classList.remove('selected');
  button.classList.add('selected');
  const res = await fetch(file);
  if (!res.ok) throw new Error(`cannot load ${file}: HTTP ${res.status}`);
  setPicture({ image: await decode(await res.blob()), caption: name, model });
}

// ---------------------------------------------------------------------------------------------
// Drawing a digit

/** No picture: the Explain button waits for one. */
function clearPicture(caption: string): void {
  picture = null;
  state.picture = null;
  const c = $<HTMLCanvasElement>('picture');
  c.getContext('2d')?.clearRect(0, 0, c.width, c.height);
  $('picture-caption').textContent = caption;
  updateRunButton();
}

/** Sets up the drawing area; returns what opening the tab does: the drawing becomes the picture, or there is none yet. */
function setupDrawing(): () => void {
  const canvas = $<HTMLCanvasElement>('draw');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (ctx === null) return () => clearPicture('draw a digit');
  let inked = false;
  const clear = (): void => {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    inked = false;
  };
  clear();
  let drawing = false;
  let last: [number, number] | null = null;
  const pos = (e: PointerEvent): [number, number] => {
    const r = canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * canvas.width, ((e.clientY - r.top) / r.height) * canvas.height];
  };
  const stroke = (p: [number, number]): void => {
    inked = true;
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    if (last === null) {
      ctx.arc(p[0], p[1], 10, 0, 2 * Math.PI);
      ctx.fill();
    } else {
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
    }
    last = p;
  };
  canvas.addEventListener('pointerdown', (e) => {
    drawing = true;
    last = null;
    canvas.setPointerCapture(e.pointerId);
    stroke(pos(e));
  });
  canvas.addEventListener('pointermove', (e) => {
    if (drawing) stroke(pos(e));
  });
  const end = (): void => {
    if (!drawing) return;
    drawing = false;
    last = null;
    useDrawing();
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);
  $('draw-clear').addEventListener('click', () => {
    clear();
    clearPicture('draw a digit');
  });
  $('draw-center').addEventListener('change', () => useDrawing());

  function useDrawing(): void {
    const raw = ctx!.getImageData(0, 0, canvas.width, canvas.height).data;
    const img: Rgba = { width: canvas.width, height: canvas.height, data: new Uint8ClampedArray(raw) };
    const centred = $<HTMLInputElement>('draw-center').checked ? centreDigit(img) : img;
    if (centred === null) return;
    setPicture({ image: centred, caption: 'your drawing', model: 'mnist-cnn' });
  }
  // The tab opens on the drawing, never on the picture chosen before (a sample, an upload).
  return () => (inked ? useDrawing() : clearPicture('draw a digit'));
}

// ---------------------------------------------------------------------------------------------
// Model, methods, class

function models(): ManifestModel[] {
  return [...(state.manifest?.models ?? []), ...openedModels()];
}

function currentModel(): ManifestModel | undefined {
  return models().find((m) => m.name === $<HTMLSelectElement>('model').value);
}

function selectModel(name: string): void {
  const sel = $<HTMLSelectElement>('model');
  if ([...sel.options].some((o) => o.value === name)) sel.value = name;
  modelChanged();
}

function modelChanged(): void {
  const m = currentModel();
  const status = $('model-status');
  const target = $<HTMLSelectElement>('target');
  const previous = target.value;
  target.replaceChildren(new Option('predicted', 'predicted'));
  if (m === undefined) {
    status.textContent = '';
  } else if (!m.available) {
    status.textContent = `${m.name} is missing: ${m.reason ?? 'not in this build'}`;
    status.classList.add('missing');
  } else {
    const i = m.input;
    status.textContent = `${m.description ?? m.name}${i !== undefined ? ` Input ${i.channels}×${i.height}×${i.width}.` : ''}`;
    status.classList.remove('missing');
    (m.classes ?? []).forEach((c, k) => target.add(new Option(`${k}: ${c}`, String(k))));
  }
  describeModel(m);
  if ([...target.options].some((o) => o.value === previous)) target.value = previous;
  updateRunButton();
}

/** The layer to select again once the worker lists the layers (kept across a cancel, dropped on a model change). */
let keptLayer = '';

/** Asks the worker for the model's possible target layers (filled in when it answers); `keep` keeps the chosen layer. */
function describeModel(m: ManifestModel | undefined, keep = false): void {
  const sel = $<HTMLSelectElement>('layer');
  keptLayer = keep ? sel.value : '';
  sel.replaceChildren(new Option('default', ''));
  state.layers = null;
  offerMethods(null);
  const ref = modelRef(m);
  if (ref === null) return;
  worker ??= newWorker();
  worker.postMessage({ type: 'describe', model: ref });
}

/**
 * Shows the checkboxes of the methods that apply to the selected model (null: until the worker
 * described it, those that apply to any model); a hidden method is unchecked.
 */
function offerMethods(applicable: WebMethod[] | null): void {
  state.offered = applicable;
  for (const m of methods) {
    const box = $<HTMLInputElement>(`method-${m.name}`);
    const shown = applicable === null ? m.appliesTo === 'any' : applicable.includes(m.name);
    (box.parentElement as HTMLElement).hidden = !shown;
    if (!shown) box.checked = false;
  }
  updateRunButton();
}

function showLayers({ model, layers, defaultLayer, classes, input, recipe, methods: applicable }: Described): void {
  const m = currentModel();
  if (m?.name !== model) return;
  offerMethods(applicable);
  const sel = $<HTMLSelectElement>('layer');
  const previous = keptLayer || sel.value;
  const shown = layers.find((l) => l.name === defaultLayer)?.alias ?? defaultLayer;
  sel.replaceChildren(new Option(`default (${shown})`, ''));
  for (const l of layers) {
    const [, k, h, w] = l.shape;
    sel.add(new Option(`${l.alias ?? l.name} · ${l.type} · ${k}×${h}×${w}`, l.name));
  }
  if (layers.some((l) => l.name === previous)) sel.value = previous;
  state.layers = { model, names: layers.map((l) => l.name), defaultLayer };
  if (m.format === 'onnx') {
    // An ONNX model tells its classes and input once the worker has read it.
    const target = $<HTMLSelectElement>('target');
    target.replaceChildren(new Option('predicted', 'predicted'));
    classes.forEach((c, k) => target.add(new Option(`${k}: ${c}`, String(k))));
    $('model-status').textContent = `${m.description ?? m.name} Input ${input.channels}×${input.height}×${input.width}: ${recipe}.`;
  }
}

function selectedMethods(): WebMethod[] {
  return methods.map((m) => m.name).filter((name) => {
    const box = $<HTMLInputElement>(`method-${name}`);
    return box.checked && !(box.parentElement as HTMLElement).hidden;
  });
}

function updateRunButton(): void {
  const m = currentModel();
  const busy = document.body.dataset.state === 'running';
  $<HTMLButtonElement>('run').disabled = busy || picture === null || m === undefined || !m.available || selectedMethods().length === 0;
}

function options(): RunOptions {
  const num = (id: string, fallback: number): number => {
    const v = Number($<HTMLInputElement>(id).value);
    return Number.isFinite(v) ? v : fallback;
  };
  const t = $<HTMLSelectElement>('target').value;
  return {
    target: t === 'predicted' ? 'predicted' : Number(t),
    samples: Math.max(1, Math.round(num('samples-n', noiseDefaults.samples))),
    noise: Math.max(0, num('noise', noiseDefaults.noise)),
    seed: Math.round(num('seed', 0)),
    exact: $<HTMLInputElement>('exact').checked,
    exactOutput: $<HTMLSelectElement>('exact-output').value as RunOptions['exactOutput'],
    colormap: $<HTMLSelectElement>('colormap').value as RunOptions['colormap'],
    alpha: Math.min(1, Math.max(0, num('alpha', 0.5))),
    layer: $<HTMLSelectElement>('layer').value === '' ? null : $<HTMLSelectElement>('layer').value,
  };
}

// ---------------------------------------------------------------------------------------------
// Running

function newWorker(): Worker {
  const w = new Worker(new URL('worker.js', document.baseURI));
  w.onmessage = (ev: MessageEvent<FromWorker>) => onWorkerMessage(ev.data);
  w.onerror = (ev: ErrorEvent) => {
    finishRun('error');
    showError(`worker failed: ${ev.message}`);
  };
  return w;
}

function startRun(): void {
  const m = currentModel();
  const ref = modelRef(m);
  if (picture === null || m === undefined || ref === null) return;
  const methods = selectedMethods();
  worker ??= newWorker();
  runId++;
  showError(null);
  state.run = { model: m.name, top: null, outputs: [], failures: [], notes: [], totalMs: null };
  for (const id of ['results', 'trace', 'terms', 'top-classes', 'notes']) $(id).replaceChildren();
  state.terms = null;
  traced = null;
  $<HTMLButtonElement>('download-all').disabled = true;
  setState('running');
  updateRunButton();
  $<HTMLButtonElement>('cancel').disabled = false;
  $('progress').hidden = false;
  const t0 = performance.now();
  clearInterval(timer);
  timer = window.setInterval(() => {
    $('elapsed').textContent = `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  }, 100);
  // A picture of another aspect than the model's input: centre crop (default) or letterbox first.
  // (An ONNX model resizes and crops as its sidecar says.)
  const fitted = m.format === 'onnx' || m.input === undefined ? picture.image : fitAspect(picture.image, m.input.width / m.input.height, state.fit);
  const image: Rgba = { width: fitted.width, height: fitted.height, data: new Uint8ClampedArray(fitted.data) };
  worker.postMessage({
    type: 'run', id: runId, methods, image, options: options(), model: ref,
  }, [image.data.buffer]);
}

function finishRun(s: 'done' | 'error' | 'ready'): void {
  clearInterval(timer);
  $<HTMLButtonElement>('cancel').disabled = true;
  setState(s);
  updateRunButton();
}

function cancelRun(): void {
  worker?.terminate();
  worker = null;
  runId++;
  $('progress-label').textContent = 'cancelled';
  finishRun('ready');
  describeModel(currentModel(), true); // the new worker lists the layers again; the chosen one stays
}

function onWorkerMessage(msg: FromWorker): void {
  if (msg.type === 'hello') {
    helloReceived(msg);
    return;
  }
  if (msg.type === 'described') {
    showLayers(msg);
    return;
  }
  if (msg.type === 'describe-error') {
    if (currentModel()?.name === msg.model) showError(`cannot load ${msg.model}: ${msg.message}`);
    return;
  }
  if (msg.id !== runId || state.run === null) return;
  switch (msg.type) {
    case 'progress':
      $<HTMLProgressElement>('progress-bar').value = msg.done / msg.total;
      $('progress-label').textContent = `${msg.done}/${msg.total} ${msg.label}`;
      break;
    case 'prepared':
      state.run.top = msg.top;
      showPrepared(msg);
      break;
    case 'method':
      state.run.outputs.push({
        method: msg.output.method, reported: msg.output.reported, classIndex: msg.output.classIndex, flat: msg.output.flat,
        width: msg.output.width, height: msg.output.height, map: Array.from(msg.output.map),
        ...(msg.output.channels !== undefined ? { channels: msg.output.channels } : {}),
        ...(msg.output.sameAs !== undefined ? { sameAs: msg.output.sameAs } : {}),
      });
      showOutput(msg.output);
      break;
    case 'notes':
      state.run.notes = msg.lines;
      $('notes').replaceChildren(...msg.lines.map((l) => {
        const p = document.createElement('p');
        p.textContent = `Same map: ${l}.`;
        return p;
      }));
      break;
    case 'method-error': {
      state.run.failures.push({ method: msg.method, message: msg.message });
      const label = labelOf(msg.method);
      const div = document.createElement('div');
      div.className = 'result failed';
      div.dataset.method = msg.method;
      const h = document.createElement('h3');
      h.textContent = label;
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = msg.message;
      div.append(h, p);
      $('results').append(div);
      break;
    }
    case 'done':
      state.run.totalMs = msg.totalMs;
      $('elapsed').textContent = '';
      $('progress-label').textContent = `done in ${(msg.totalMs / 1000).toFixed(2)} s`;
      finishRun('done');
      break;
    case 'error':
      showError(msg.message);
      finishRun('error');
      break;
  }
}

// ---------------------------------------------------------------------------------------------
// Showing results

let classNames: string[] = [];

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(2) : v.toPrecision(3);
}

function fmtOrDash(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : fmt(v);
}

/** The Grad-CAM++-family output the channel table shows (its rows open the term explorer). */
let traced: { label: string; output: MethodOutput } | null = null;

function showPrepared(msg: Prepared): void {
  classNames = msg.classes;
  const top = $('top-classes');
  const wrap = document.createElement('div');
  wrap.className = 'top';
  const head = document.createElement('strong');
  head.textContent = `${msg.model}:`;
  wrap.append(head);
  for (const t of msg.top.slice(0, 5)) {
    const s = document.createElement('span');
    s.textContent = `${t.name} ${(100 * t.probability).toFixed(1)}%`;
    const bar = document.createElement('span');
    bar.className = 'p';
    bar.style.width = `${Math.max(1, Math.round(60 * t.probability))}px`;
    s.append(bar);
    wrap.append(s);
  }
  const engine = document.createElement('small');
  engine.className = 'engine';
  engine.textContent = msg.engine;
  top.replaceChildren(wrap, engine);
  views.results!.start(msg.input, picture?.caption ?? 'picture');
  const div = document.createElement('div');
  div.className = 'result input';
  const h = document.createElement('h3');
  h.textContent = 'model input';
  const c = document.createElement('canvas');
  putImage(c, msg.input);
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `${msg.input.width}×${msg.input.height}`;
  div.append(h, c, meta);
  $('results').append(div);
}

function showOutput(o: MethodOutput): void {
  const base = labelOf(o.method);
  const label = o.derivatives?.startsWith('exact') === true && !/exact/i.test(base) ? `${base} (exact)` : base;
  const cls = classNames[o.classIndex] ?? String(o.classIndex);
  const how = o.sameAs !== undefined ? `the same computation as ${labelOf(o.sameAs)} (computed once)` : `${o.ms.toFixed(0)} ms`;
  views.results!.add({
    method: o.method, title: label, meta: `class ${o.classIndex} (${cls}) · ${how}${o.flat ? ' · flat map' : ''}`,
    map: o.map, width: o.width, height: o.height, className: cls, layer: o.layer ?? 'input', tooltip: o.derivatives ?? o.reported, tags: o.tags,
  });
  $<HTMLButtonElement>('download-all').disabled = false;
  // The table shows the first Grad-CAM++-family output (the one with α terms).
  if (o.channels?.some((c) => c.alpha !== null) === true && traced === null) showTrace(label, o);
}

function showTrace(label: string, o: MethodOutput): void {
  traced = { label, output: o };
  const rows: ChannelRow[] = [...(o.channels ?? [])].sort((a, b) => (b.weight ?? -Infinity) - (a.weight ?? -Infinity));
  const maxW = Math.max(...rows.map((r) => Math.abs(r.weight ?? 0)), 1e-300);
  const box = document.createElement('div');
  const h = document.createElement('h3');
  h.textContent = `${label}: per-channel terms at layer ${o.layer ?? '?'} (${o.derivatives ?? ''}), sorted by weight`;
  const note = document.createElement('p');
  note.className = 'hint';
  note.textContent = 'α_k,ij = g² / (2g² + ΣA_k·g³) (α := 0 where the denominator is 0); w_k = Σ_ij α_k,ij·ReLU(g_k,ij); map = ReLU(Σ_k w_k A_k). Click a channel to see its terms.';
  const scroll = document.createElement('div');
  scroll.className = 'trace-scroll';
  const table = document.createElement('table');
  table.id = 'trace-table';
  const head = table.createTHead().insertRow();
  for (const c of ['channel k', 'ΣA_k', 'mean α', 'max α', 'Σ ReLU(g)', 'weight w_k', '']) {
    const th = document.createElement('th');
    th.textContent = c;
    head.append(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    tr.dataset.channel = String(r.channel);
    tr.tabIndex = 0;
    tr.title = `show the terms of channel ${r.channel}`;
    for (const v of [String(r.channel), fmt(r.sumA), fmtOrDash(r.alpha?.mean), fmtOrDash(r.alpha?.max), fmt(r.reluGradSum), fmtOrDash(r.weight)]) tr.insertCell().textContent = v;
    const bar = tr.insertCell();
    bar.className = 'bar';
    const span = document.createElement('span');
    span.style.width = `${Math.round((100 * Math.abs(r.weight ?? 0)) / maxW)}%`;
    bar.append(span);
    const open = (): void => showTerms(r.channel);
    tr.addEventListener('click', open);
    tr.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') open();
    });
  }
  scroll.append(table);
  box.append(h, note, scroll);
  $('trace').replaceChildren(box);
}

/** The term explorer: channel k's A_k, derivative terms, α and ReLU(g)·α side by side, each scaled to its own range. */
function showTerms(k: number): void {
  const terms = traced?.output.terms;
  if (traced === null || terms === undefined) return;
  const { label, output } = traced;
  const t = channelTerms(terms, k, output.derivatives ?? '');
  for (const tr of document.querySelectorAll<HTMLElement>('#trace-table tbody tr')) tr.classList.toggle('selected', tr.dataset.channel === String(k));
  const box = document.createElement('div');
  const h = document.createElement('h3');
  h.textContent = `${label}, channel ${k} at layer ${output.layer ?? '?'}: Σ_ij ${t.labels[5]!} = w_${k} = ${fmt(t.weight)}`;
  const row = document.createElement('div');
  row.className = 'terms';
  t.maps.forEach((m, i) => {
    const fig = document.createElement('figure');
    const c = document.createElement('canvas');
    const { values, min, max } = scaled(m);
    putImage(c, heatmap(new Tensor(values, [t.height, t.width]), state.drawn.colormap));
    const cap = document.createElement('figcaption');
    cap.textContent = `${t.labels[i]!}: ${fmt(min)} … ${fmt(max)}`;
    fig.append(c, cap);
    row.append(fig);
  });
  box.append(h, row);
  $('terms').replaceChildren(box);
  state.terms = { method: output.method, channel: k, labels: t.labels, maps: t.maps.map((m) => Array.from(m)) };
}

// ---------------------------------------------------------------------------------------------
// Start-up

function setupTabs(openDrawing: () => void): void {
  const buttons = [...document.querySelectorAll<HTMLButtonElement>('.tabs button')];
  for (const b of buttons) {
    b.addEventListener('click', () => {
      for (const o of buttons) {
        o.setAttribute('aria-selected', String(o === b));
        $(`tab-${o.dataset.tab ?? ''}`).hidden = o !== b;
      }
      if (b.dataset.tab === 'draw') {
        selectModel('mnist-cnn');
        openDrawing();
      }
    });
  }
}

function labelOf(method: WebMethod): string {
  return methods.find((m) => m.name === method)?.label ?? method;
}

/** The method checkboxes and the noise defaults, from the worker's hello (camlab's registry). */
function setupMethods(h: Hello): void {
  methods = h.methods;
  noiseDefaults = h.defaults;
  state.methods = methods.map((m) => m.name);
  $<HTMLInputElement>('samples-n').value = String(h.defaults.samples);
  $<HTMLInputElement>('noise').value = String(h.defaults.noise);
  $('samples-for').textContent = methods.filter((m) => m.stochastic).map((m) => m.label).join(', ');
  const box = $('methods');
  for (const m of methods) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'checkbox';
    input.id = `method-${m.name}`;
    input.value = m.name;
    input.checked = m.name === 'gradcam' || m.name === 'gradcam++' || m.name === 'smooth-gradcam++';
    input.addEventListener('change', updateRunButton);
    label.title = m.paper;
    label.append(input, ` ${m.label}`);
    box.append(label);
  }
}

/** Colour map and opacity redraw the tiles from the kept maps; the fit of non-square pictures; download all. */
function setupStyle(): void {
  const style = (): DrawStyle => ({ colormap: $<HTMLSelectElement>('colormap').value as DrawStyle['colormap'], alpha: options().alpha });
  views.results = new ResultsView($('results'), $<HTMLCanvasElement>('legend'), style());
  const restyle = (): void => {
    const s = style();
    views.results!.restyle(s);
    state.drawn = { ...s, redraws: views.results!.redraws };
    const open = state.terms;
    if (open !== null) showTerms(open.channel);
  };
  $('colormap').addEventListener('change', restyle);
  $('alpha').addEventListener('input', restyle);
  const fit = $<HTMLSelectElement>('fit');
  fit.addEventListener('change', () => {
    state.fit = (FIT_MODES as readonly string[]).includes(fit.value) ? (fit.value as FitMode) : 'crop';
  });
  $('download-all').addEventListener('click', () => views.results!.downloadAll());
}

async function start(): Promise<void> {
  setupTabs(setupDrawing());
  worker ??= newWorker();
  setupMethods(await firstHello);
  const res = await fetch('manifest.json');
  if (!res.ok) throw new Error(`cannot load manifest.json: HTTP ${res.status}`);
  const manifest = (await res.json()) as Manifest;
  state.manifest = manifest;
  const sel = $<HTMLSelectElement>('model');
  for (const m of manifest.models) sel.add(new Option(m.available ? m.name : `${m.name} (missing)`, m.name));
  sel.addEventListener('change', modelChanged);
  if (!manifest.models.some((m) => m.name === 'mnist-cnn' && m.available)) {
    $('draw-hint').textContent = 'The digit model mnist-cnn is missing from this build (train it with `npx camlab train --data mnist --out models/mnist-cnn`, then rebuild): drawing works, explaining needs the model.';
  }
  const samples = $('samples');
  for (const img of manifest.images) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.file = img.name;
    b.title = `${img.name} (${img.model})`;
    const pic = document.createElement('img');
    pic.src = img.file;
    pic.alt = img.name;
    b.append(pic, img.name.replace(/\.png$/, ''));
    b.addEventListener('click', () => {
      loadSample(img.file, img.name, img.model, b).catch((e: unknown) => showError(String(e)));
    });
    samples.append(b);
  }
  $('upload').addEventListener('change', () => {
    const f = $<HTMLInputElement>('upload').files?.[0];
    if (f === undefined) return;
    decode(f).then((image) => setPicture({ image, caption: f.name }), (e: unknown) => showError(`cannot read ${f.name}: ${String(e)}`));
  });
  setupStyle();
  $('onnx-file').addEventListener('change', () => {
    const m = openOnnxFiles([...($<HTMLInputElement>('onnx-file').files ?? [])]);
    if (typeof m === 'string') {
      showError(m);
      return;
    }
    showError(null);
    for (const o of [...sel.options]) if (!manifest.models.some((b) => b.name === o.value)) o.remove();
    sel.add(new Option(m.name, m.name));
    selectModel(m.name);
  });
  $('run').addEventListener('click', startRun);
  $('cancel').addEventListener('click', cancelRun);
  modelChanged();
  setState('ready');
  updateRunButton();
}

start().catch((e: unknown) => {
  showError(e instanceof Error ? e.message : String(e));
  setState('error');
});
