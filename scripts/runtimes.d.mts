// Types for scripts/runtimes.mjs (used by test/runtime/runtimes.test.ts).
export declare const ROOT: string;
export type Runtime = { name: 'node' | 'deno' | 'bun'; command: string[] } | { name: 'node' | 'deno' | 'bun'; missing: string };
export interface SmokeMap {
  /** The case name, e.g. 'smooth-gradcam++@features.10'. */
  method: string;
  layer: string | null;
  class: number;
  className: string;
  shape: number[];
  finite: boolean;
  min: number;
  max: number;
  first: number[];
  sha256: string;
  /** The same map's checksum computed with the JS reference kernels (setBackend('js')). */
  jsSha256: string;
  weightsSha256: string | null;
  rawMapSha256: string;
}
export interface SmokeReport {
  runtime: string;
  /** camlab's backendInfo() after the runs: the kernels and the threads that took part. */
  backend: { backend: 'js' | 'wasm'; reason: string | null; threads: { requested: number; active: number; reason: string | null } };
  image: string;
  model: string;
  rgbaSha256: string;
  inputSha256: string;
  logits: number[];
  logitsSha256: string;
  maps: SmokeMap[];
  ms: number;
}
export declare function findRuntimes(): Runtime[];
export declare function runtimeEnv(): Record<string, string | undefined>;
export declare function runSmoke(runtime: { name: string; command: string[] }, extraArgs?: string[]): SmokeReport;
