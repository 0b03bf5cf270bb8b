/**
 * Peak memory and time of refusing decompression bombs (issue #13): each file is written to a
 * temporary folder, then read and decoded with decodeImage in a fresh Node process, which reports
 * its peak RSS before the file is read (the baseline: Node + tsx + camlab loaded) and after the
 * refusal, and the time decodeImage took.
 *
 *   npx tsx scripts/measure-bombs.ts           # camlab's decodeImage on every case
 *   npx tsx scripts/measure-bombs.ts --pngjs   # also pngjs's PNG.sync.read on the 12000x12000 header
 *                                              # (the old path: ~4 GB, several seconds)
 *   npx tsx scripts/measure-bombs.ts --cli     # also `camlab explain FILE` (the CLI's whole path:
 *                                              # options, model, reading, refusal), in the same way
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { decodeImage } from '../src/io/decode-image.js';
import { rawPng } from '../test/io/png-writer.js';

/** SOI + a baseline SOF declaring w×h with 3 components, and nothing else. */
function jpegHeader(w: number, h: number): Uint8Array {
  return Uint8Array.of(0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, h >> 8, h & 255, w >> 8, w & 255, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1);
}

const CASES: Record<string, () => Uint8Array> = {
  'png 100000000x1 header': () => rawPng(100_000_000, 1, deflateSync(new Uint8Array(3))),
  'png 12000x12000 header': () => rawPng(12000, 12000, deflateSync(new Uint8Array(3))),
  // A real, complete file: 8000 rows of 8001 zero bytes (grey), 64 MP, deflated to ~60 KB.
  'png 8000x8000 complete': () => rawPng(8000, 8000, deflateSync(new Uint8Array(8000 * 8001), { level: 9 }), { colorType: 0 }),
  'png 1000x1000, 10-byte IDAT': () => rawPng(1000, 1000, deflateSync(new Uint8Array(2))),
  'jpeg 60000x60000 header': () => jpegHeader(60000, 60000),
};

const mb = (kb: number): string => (kb / 1024).toFixed(0);

if (process.argv[2] === '--child') {
  // One measurement: [decoder, file]. maxRSS is in kilobytes.
  const [decoder, file] = process.argv.slice(3) as [string, string];
  const cli = decoder === 'cli' ? (await import('../src/cli/run.js')).run : null;
  const before = process.resourceUsage().maxRSS;
  const t = performance.now();
  let result: string;
  if (cli !== null) {
    let err = '';
    const out = mkdtempSync(join(tmpdir(), 'camlab-bombs-out-'));
    const code = cli(['explain', file, '--method', 'gradcam', '--out', out], { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, progress: false });
    rmSync(out, { recursive: true, force: true });
    result = `exit ${String(code)}: ${err.trim()}`;
  } else {
    try {
      const bytes = new Uint8Array(readFileSync(file));
      const img = decoder === 'pngjs' ? PNG.sync.read(Buffer.from(bytes)) : decodeImage(bytes, { name: 'file' });
      result = `decoded ${img.width}x${img.height}`;
    } catch (e) {
      result = (e as Error).message;
    }
  }
  const ms = performance.now() - t;
  console.log(JSON.stringify({ before, after: process.resourceUsage().maxRSS, ms, result }));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'camlab-bombs-'));
  const self = fileURLToPath(import.meta.url);
  const runs: Array<[string, string]> = Object.keys(CASES).map((c) => ['camlab', c]);
  if (process.argv.includes('--pngjs')) runs.push(['pngjs', 'png 12000x12000 header']);
  if (process.argv.includes('--cli')) runs.push(...Object.keys(CASES).map((c): [string, string] => ['cli', c]));
  console.log('decoder | case | file bytes | time (ms) | peak RSS before → after (MB) | result');
  try {
    for (const [decoder, name] of runs) {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.bin`);
      const bytes = CASES[name]!();
      writeFileSync(file, bytes);
      const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', decoder, file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (r.status !== 0) {
        console.log(`${decoder} | ${name} | ${bytes.length} | - | - | exited ${r.status}: ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
        continue;
      }
      const m = JSON.parse(r.stdout) as { before: number; after: number; ms: number; result: string };
      console.log(`${decoder} | ${name} | ${bytes.length} | ${m.ms.toFixed(2)} | ${mb(m.before)} → ${mb(m.after)} | ${m.result}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
