// Cross-runtime smoke test: the same script runs under Node, Deno and Bun against the built
// package (dist/). It decodes a bundled sample PNG with a tiny decoder of its own (the web
// standard DecompressionStream does the inflating, so no pngjs and no node:zlib), loads the
// bundled shapes-cnn from spec.json + model.safetensors, computes Grad-CAM, Grad-CAM++ and
// Smooth Grad-CAM++ (5 samples, seed 0) at two layers and exact Grad-CAM++ (Y = exp(S − S0),
// and Y = softmax, which puts exp into the derivatives), and prints a SHA-256 of each map's
// float64 bytes plus its first values. Equal checksums = bit-identical maps. (camlab's kernels use
// their own fdlibm exp/log/tanh, not Math.*, whose last bits differ between engines.)
//
//   node scripts/smoke.mjs [--json]
//   deno run --allow-read scripts/smoke.mjs
//   bun scripts/smoke.mjs
// Options: --dist DIR (default dist/), --model DIR (default models/shapes-cnn),
//          --image FILE (default examples/images/shapes-triangle-x3.png), --json.
// The only non-standard API used is node:fs/promises readFile and node:url, which all three
// runtimes provide.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

const here = new URL('.', import.meta.url);
const args = parseArgs();
const distUrl = args.dist !== undefined ? dirUrl(args.dist) : new URL('../dist/', here);
const modelUrl = args.model !== undefined ? dirUrl(args.model) : new URL('../models/shapes-cnn/', here);
const imageUrl = args.image !== undefined ? pathToFileURL(args.image) : new URL('../examples/images/shapes-triangle-x3.png', here);

// At the default layer (the last conv block, followed by global average pooling + linear) the
// gradient does not depend on the input, so Smooth Grad-CAM++ equals Grad-CAM++ there; at
// features.10 (before conv 4, batch norm and ReLU) the noise matters, and so does the RNG.
const SMOKE_OPTIONS = { samples: 5, noise: 0.15, seed: 0 };
const SMOKE_CASES = [
  { name: 'gradcam', method: 'gradcam', options: {} },
  { name: 'gradcam++', method: 'gradcam++', options: {} },
  { name: 'smooth-gradcam++', method: 'smooth-gradcam++', options: { ...SMOKE_OPTIONS } },
  { name: 'gradcam++@features.10', method: 'gradcam++', options: { layer: 'features.10' } },
  { name: 'smooth-gradcam++@features.10', method: 'smooth-gradcam++', options: { ...SMOKE_OPTIONS, layer: 'features.10' } },
  { name: 'gradcam++-exact', method: 'gradcam++-exact', options: {} },
  // Y = softmax runs exp on values other than 0. Math.exp differs between engines in the last bit
  // (Node 20's V8 returns exp(-11.205163827185643) one ulp below what Deno 2.9 and Bun 1.4
  // return); camlab's detExp (src/tensor/detmath.ts) makes this map bit-identical too.
  { name: 'gradcam++-exact-softmax', method: 'gradcam++-exact', options: { exact: { output: 'softmax' } } },
  { name: 'gradcam++-probability', method: 'gradcam++', options: { target: { class: 'predicted', output: 'probability' } } },
];

function parseArgs() {
  const argv = globalThis.Deno !== undefined ? globalThis.Deno.args : globalThis.process.argv.slice(2);
  const out = { json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') out.json = true;
    else if (a === '--dist' || a === '--model' || a === '--image') out[a.slice(2)] = argv[++i];
    else throw new Error(`smoke: unknown argument '${a}'`);
  }
  return out;
}

function dirUrl(p) {
  const u = pathToFileURL(p);
  if (!u.href.endsWith('/')) u.href += '/';
  return u;
}

function runtimeName() {
  if (globalThis.Deno !== undefined) return `deno ${globalThis.Deno.version.deno}`;
  if (globalThis.Bun !== undefined) return `bun ${globalThis.Bun.version}`;
  return `node ${globalThis.process.versions.node}`;
}

/** zlib inflate with the web-standard DecompressionStream (Node >= 18, Deno, Bun, browsers). */
async function inflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Minimal PNG decoder: 8-bit grey, grey+alpha, RGB or RGBA, not interlaced → RGBA. */
async function decodePngMinimal(bytes) {
  const sig = [137, 80, 78, 71, 13, 10, 26, 10];
  if (!sig.every((b, i) => bytes[i] === b)) throw new Error('not a PNG');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 8;
  let width = 0, height = 0, depth = 0, colour = 0, interlace = 0;
  const idat = [];
  while (pos < bytes.length) {
    const len = view.getUint32(pos);
    const type = String.fromCharCode(...bytes.subarray(pos + 4, pos + 8));
    const data = bytes.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = view.getUint32(pos + 8);
      height = view.getUint32(pos + 12);
      depth = data[8]; colour = data[9]; interlace = data[12];
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colour];
  if (depth !== 8 || channels === undefined || interlace !== 0) throw new Error(`unsupported PNG (bit depth ${depth}, colour type ${colour}, interlace ${interlace})`);
  const raw = await inflate(new Uint8Array(await new Blob(idat).arrayBuffer()));
  const stride = width * channels;
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? px[y * stride + x - channels] : 0;
      const b = y > 0 ? px[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? px[(y - 1) * stride + x - channels] : 0;
      let p;
      switch (filter) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >>> 1; break;
        case 4: {
          const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`bad PNG filter ${filter}`);
      }
      px[y * stride + x] = (line[x] + p) & 255;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = px.subarray(i * channels, (i + 1) * channels);
    const [r, g, b, al] = channels === 1 ? [s[0], s[0], s[0], 255] : channels === 2 ? [s[0], s[0], s[0], s[1]] : channels === 3 ? [s[0], s[1], s[2], 255] : s;
    rgba.set([r, g, b, al], 4 * i);
  }
  return { width, height, data: rgba };
}

/** SHA-256 (hex) of the values as little-endian float64 bytes, or of raw bytes. */
async function sha256(values) {
  let bytes = values;
  if (!(values instanceof Uint8Array)) {
    bytes = new Uint8Array(values.length * 8);
    const dv = new DataView(bytes.buffer);
    for (let i = 0; i < values.length; i++) dv.setFloat64(8 * i, values[i], true);
  }
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

const camlab = await import(new URL('index.js', distUrl).href);

async function withBackend(backend, f) {
  const before = camlab.getBackend();
  camlab.setBackend(backend);
  try {
    return await f();
  } finally {
    camlab.setBackend(before);
  }
}
const t0 = performance.now();
const spec = JSON.parse(new TextDecoder().decode(await readFile(new URL('spec.json', modelUrl))));
const weights = new Uint8Array(await readFile(new URL('model.safetensors', modelUrl)));
const { spec: s, module } = camlab.loadModel(spec, weights);
const picture = await decodePngMinimal(new Uint8Array(await readFile(imageUrl)));
const x = camlab.imageToInput(picture, s.input);
const logits = camlab.noGrad(() => module.call(x));
const report = {
  runtime: runtimeName(),
  backend: camlab.backendInfo(),
  image: imageUrl.pathname.split('/').pop(),
  model: s.name,
  rgbaSha256: await sha256(picture.data),
  inputSha256: await sha256(x.data),
  logits: [...logits.data],
  logitsSha256: await sha256(logits.data),
  maps: [],
};
// Every map once with the default kernels (wasm where WebAssembly SIMD validates), then its
// checksum again with the JS reference kernels: float64 results are the same bits on both.
for (const { name, method, options } of SMOKE_CASES) {
  const r = camlab.explain(method, module, x, options);
  const m = r.upsampled.data;
  const jsSha256 = await withBackend('js', async () => sha256(camlab.explain(method, module, x, options).upsampled.data));
  let finite = true, lo = Infinity, hi = -Infinity;
  for (const v of m) {
    if (!Number.isFinite(v)) finite = false;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  report.maps.push({
    method: name,
    layer: r.layer ?? null,
    class: r.classes[0],
    className: s.classes[r.classes[0]],
    shape: [...r.upsampled.shape],
    finite, min: lo, max: hi,
    first: [...m.slice(0, 4)],
    sha256: await sha256(m),
    jsSha256,
    weightsSha256: r.weights === null ? null : await sha256(r.weights.data),
    rawMapSha256: await sha256(r.map.data),
  });
}
report.backend = camlab.backendInfo(); // after the runs: how many threads took part
report.ms = Math.round(performance.now() - t0);

if (args.json) {
  console.log(JSON.stringify(report));
} else {
  const b = report.backend;
  console.log(`${report.runtime}: ${report.model} on ${report.image} (input sha256 ${report.inputSha256.slice(0, 16)}…), ${report.ms} ms, ${b.backend} backend, ${b.threads.active} of ${b.threads.requested} threads${b.threads.reason ? ` (${b.threads.reason})` : ''}`);
  for (const m of report.maps) {
    console.log(`  ${m.method.padEnd(29)} class ${m.class} (${m.className})  sha256 ${m.sha256}${m.jsSha256 === m.sha256 ? '' : ` (js backend: ${m.jsSha256})`}  first ${m.first.map((v) => v.toPrecision(6)).join(' ')}`);
  }
}
