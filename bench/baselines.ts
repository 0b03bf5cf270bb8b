/**
 * The benchmark's baselines, run in this process: tfjs-core with its pure-JS CPU backend
 * (@tensorflow/tfjs-backend-cpu) and its WebAssembly backend (@tensorflow/tfjs-backend-wasm,
 * XNNPACK, one thread in Node), and onnxruntime-web's WebAssembly backend on ONNX files that
 * scripts/make-bench-models.py writes (seeded random weights) into bench/.models/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as ort from 'onnxruntime-web';
import type { Baseline, TimingOptions } from './harness.js';

/** The repository's root. */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Where scripts/make-bench-models.py writes the ONNX models (git-ignored). */
export const MODELS = join(ROOT, 'bench', '.models');

/** Threads onnxruntime-web's pool is created with; sessions pick 1 or 2 with intraOpNumThreads. */
const ORT_POOL = 2;

/** Selects tfjs's backends once (both are registered; each baseline's setup switches). */
export async function initBaselines(): Promise<void> {
  tf.enableProdMode();
  setWasmPaths(`${dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  await tf.setBackend('wasm');
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = ORT_POOL;
  ort.env.logLevel = 'error';
}

export type TfBackend = 'cpu' | 'wasm';

/** A tfjs baseline on one backend: `make` builds its inputs (on that backend) once, `run` reads the result back. */
export function tfBaseline<T>(backend: TfBackend, key: string, label: string, make: () => T, run: (inputs: T) => tf.Tensor | void, timing?: TimingOptions): Baseline {
  let inputs: T | undefined;
  return {
    key: `tfjs-${backend}:${key}`,
    id: `tfjs-${backend}`,
    threads: 1,
    label: `tfjs-${backend} ${label}`,
    setup: async () => {
      await tf.setBackend(backend);
    },
    run: () => {
      inputs ??= make();
      const y = tf.tidy(() => run(inputs!));
      if (y) {
        y.dataSync();
        y.dispose();
      }
    },
    ...(timing ? { timing } : {}),
  };
}

/**
 * Runs scripts/make-bench-models.py when bench/.models is missing; null (with the reason) when
 * the models cannot be made here (no Python with torch).
 */
export function ensureModels(): string | null {
  if (['resnet18.onnx', 'conv-64x56.onnx', 'matmul-512.onnx'].every((f) => existsSync(join(MODELS, f)))) return null;
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, [join(ROOT, 'scripts', 'make-bench-models.py')], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status === 0) return null;
  }
  return 'bench/.models could not be made (scripts/make-bench-models.py needs Python with torch and torchvision)';
}

/** An onnxruntime-web (wasm) baseline on a model of bench/.models with `threads` intra-op threads. */
export function ortBaseline(file: string, label: string, threads: number, feeds: () => Record<string, ort.Tensor>, timing?: TimingOptions): Baseline {
  let session: ort.InferenceSession | null = null;
  let inputs: Record<string, ort.Tensor> | null = null;
  return {
    key: `ort:${file}:${threads}`,
    id: 'onnxruntime-web',
    threads,
    label: `onnxruntime-web wasm ${threads}t ${label}`,
    setup: async () => {
      session ??= await ort.InferenceSession.create(readFileSync(join(MODELS, file)), {
        executionProviders: ['wasm'],
        intraOpNumThreads: threads,
        graphOptimizationLevel: 'all',
      });
    },
    run: () => session!.run((inputs ??= feeds())),
    ...(timing ? { timing } : {}),
  };
}

/** A seeded float32 array of n standard-normal-ish values (for baseline inputs). */
export function noise(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

export { ort, tf };
