// Types for scripts/build-web.mjs (used by test/runtime/web-e2e.test.ts).
export declare const ROOT: string;
export declare const WEB_MODELS: string[];
export interface WebManifest {
  models: Array<{ name: string; available: boolean; reason?: string; spec?: string; weights?: string; classes?: string[] }>;
  images: Array<{ file: string; name: string; model: string }>;
  built: string;
}
export declare function buildWeb(opts?: { out?: string; modelsDir?: string; quiet?: boolean }): Promise<{ out: string; manifest: WebManifest }>;
