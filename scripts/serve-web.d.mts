// Types for scripts/serve-web.mjs (used by test/runtime/web-e2e.test.ts).
export declare function serve(opts?: { root?: string; port?: number; host?: string; log?: boolean }): Promise<{ url: string; port: number; close(): Promise<void> }>;
