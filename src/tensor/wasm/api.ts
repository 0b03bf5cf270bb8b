/**
 * The parts of the WebAssembly JS API camlab uses, typed here because the core compiles against
 * ES2022 alone (no DOM or Node typings). Reached through `globalThis`, which every runtime has.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(pages: number): number;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmNamespace {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
}

/** The runtime's WebAssembly namespace, or undefined where there is none. */
export function webAssembly(): WasmNamespace | undefined {
  return (globalThis as unknown as { WebAssembly?: WasmNamespace }).WebAssembly;
}

/**
 * The smallest module using a SIMD instruction: (func (result v128) v128.const 0; f32x4.add …).
 * `WebAssembly.validate` of it tells whether the engine has fixed-width SIMD.
 */
const SIMD_PROBE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type: () -> v128
  0x03, 0x02, 0x01, 0x00, // one function of type 0
  0x0a, 0x2b, 0x01, 0x29, 0x00, // code: one body of 41 bytes, no locals
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0x0c, ...new Array<number>(16).fill(0), // v128.const 0
  0xfd, 0xe4, 0x01, // f32x4.add
  0x0b, // end
]);

/** Why the wasm backend cannot run here, or null when it can (WebAssembly with SIMD). */
export function wasmUnavailableReason(): string | null {
  const wa = webAssembly();
  if (wa === undefined) return 'this runtime has no WebAssembly';
  try {
    if (!wa.validate(SIMD_PROBE)) return 'this WebAssembly engine has no fixed-width SIMD';
  } catch (e) {
    return `WebAssembly.validate failed: ${(e as Error).message}`;
  }
  return null;
}
