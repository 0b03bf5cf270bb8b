#!/usr/bin/env node
// Finds the Node, Deno and Bun binaries (Deno and Bun from their npm packages, dev dependencies
// of camlab) and runs scripts/smoke.mjs under each, then compares the maps' checksums.
//
//   npm run smoke                      # build dist/, then this
//   node scripts/runtimes.mjs [--dist DIR] [--model DIR] [--image FILE]
//
// The npm packages `deno` and `bun` put the real binary in place with a postinstall script; when
// install scripts did not run (npm's allowScripts policy, --ignore-scripts) the binary is still
// in the platform package (@deno/linux-x64-glibc/deno, @oven/bun-linux-x64/bin/bun), which is
// where we look first. CAMLAB_DENO / CAMLAB_BUN override the paths; a binary on PATH is the last
// resort.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NM = join(ROOT, 'node_modules');

function platformKeys() {
  const arch = process.arch === 'x64' ? 'x64' : process.arch === 'arm64' ? 'arm64' : process.arch;
  let musl = false;
  if (process.platform === 'linux') {
    const report = process.report?.getReport?.();
    musl = report !== undefined && report.header?.glibcVersionRuntime === undefined;
  }
  return { platform: process.platform, arch, musl };
}

/** A real executable (not the small placeholder the bun package ships before its postinstall). */
function isBinary(p) {
  try {
    return statSync(p).isFile() && statSync(p).size > 1_000_000;
  } catch {
    return false;
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir !== '' && existsSync(p) && isBinary(p)) return p;
  }
  return undefined;
}

function denoCandidates() {
  const { platform, arch } = platformKeys();
  const pkg = platform === 'win32' ? `win32-${arch}` : platform === 'darwin' ? `darwin-${arch}` : `linux-${arch}-glibc`;
  const exe = platform === 'win32' ? 'deno.exe' : 'deno';
  return [join(NM, '@deno', pkg, exe), join(NM, 'deno', exe)];
}

function bunCandidates() {
  const { platform, arch, musl } = platformKeys();
  const a = arch === 'arm64' ? 'aarch64' : arch;
  const pkg = platform === 'linux' ? `bun-linux-${a}${musl ? '-musl' : ''}` : `bun-${platform}-${a}`;
  const exe = platform === 'win32' ? 'bun.exe' : 'bun';
  return [join(NM, '@oven', pkg, 'bin', exe), join(NM, 'bun', 'bin', 'bun.exe')];
}

/**
 * The three runtimes as `{ name, command: [binary, ...args before the script] }`, or
 * `{ name, missing: reason }` when no binary exists for this platform.
 */
export function findRuntimes() {
  const pick = (name, envVar, candidates) => {
    const fromEnv = process.env[envVar];
    if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? fromEnv : undefined;
    return candidates.find(isBinary) ?? onPath(name);
  };
  const deno = pick('deno', 'CAMLAB_DENO', denoCandidates());
  const bun = pick('bun', 'CAMLAB_BUN', bunCandidates());
  const { platform, arch } = platformKeys();
  const why = (name, cands) => `no ${name} binary for ${platform}-${arch}: looked in ${cands.join(', ')} and on PATH (install with npm ci; set CAMLAB_${name.toUpperCase()} to override)`;
  return [
    { name: 'node', command: [process.execPath] },
    deno !== undefined ? { name: 'deno', command: [deno, 'run', '--allow-read', '--no-prompt'] } : { name: 'deno', missing: why('deno', denoCandidates()) },
    bun !== undefined ? { name: 'bun', command: [bun] } : { name: 'bun', missing: why('bun', bunCandidates()) },
  ];
}

/** Environment for the child runtimes: no update checks, no prompts, no telemetry. */
export function runtimeEnv() {
  return { ...process.env, DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', NO_COLOR: '1', DO_NOT_TRACK: '1', BUN_DISABLE_TELEMETRY: '1' };
}

/** Runs scripts/smoke.mjs --json under one runtime; returns its parsed report. */
export function runSmoke(runtime, extraArgs = []) {
  const [bin, ...pre] = runtime.command;
  const r = spawnSync(bin, [...pre, join(ROOT, 'scripts', 'smoke.mjs'), '--json', ...extraArgs], { cwd: ROOT, env: runtimeEnv(), encoding: 'utf8', timeout: 120_000 });
  if (r.error !== undefined) throw new Error(`${runtime.name}: cannot start ${bin}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${runtime.name} exited with ${r.status}:\n${r.stderr}${r.stdout}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${runtime.name} printed no JSON report:\n${r.stdout}\n${r.stderr}`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const extra = process.argv.slice(2);
  const reports = [];
  let missing = 0;
  for (const rt of findRuntimes()) {
    if ('missing' in rt) {
      console.log(`${rt.name}: skipped: ${rt.missing}`);
      missing++;
      continue;
    }
    const rep = runSmoke(rt, extra);
    reports.push(rep);
    console.log(`${rep.runtime} (${rep.ms} ms)`);
    for (const m of rep.maps) console.log(`  ${m.method.padEnd(29)} class ${m.class} (${m.className})  sha256 ${m.sha256}  first ${m.first.map((v) => v.toPrecision(6)).join(' ')}`);
  }
  const ref = reports[0];
  let differ = 0;
  for (const rep of reports.slice(1)) {
    for (const [i, m] of rep.maps.entries()) {
      if (m.sha256 === ref.maps[i].sha256) continue;
      differ++;
      console.log(`DIFFERENT: ${m.method} under ${rep.runtime} vs ${ref.runtime}`);
    }
  }
  console.log(differ === 0 ? `all ${reports.length} runtimes computed bit-identical maps` : `${differ} maps differ`);
  process.exitCode = differ > 0 || missing > 0 ? 1 : 0;
}
