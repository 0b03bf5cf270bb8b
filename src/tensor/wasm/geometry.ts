import { i32, type Code, type FunctionScope, type Local } from './emit.js';

/**
 * The convolution geometry the wasm kernels read from memory: one i32 per field, in this order,
 * written by the TypeScript driver (wasm/conv-driver.ts) before a call.
 */
export const GEOMETRY_FIELDS = [
  'C', 'H', 'W', 'O', 'KH', 'KW', 'Cg', 'Og', 'sh', 'sw', 'ph', 'pw', 'dh', 'dw', 'OH', 'OW',
  // derived
  'HW', 'OHW', 'KK', 'Kg',
] as const;

export type GeometryField = (typeof GEOMETRY_FIELDS)[number];

/** Byte size of the geometry record. */
export const GEOMETRY_BYTES = GEOMETRY_FIELDS.length * 4;

/** Loads the named geometry fields (from the record at `geo`) into fresh locals. */
export function loadGeometry<K extends GeometryField>(s: FunctionScope, geo: Local, names: readonly K[]): { [P in K]: Local } & { init: Code } {
  const out = {} as { [P in K]: Local };
  const init: Code[] = [];
  for (const n of names) {
    const l = s.local('i32');
    out[n] = l;
    init.push(l.set(i32.load(geo.get, 4 * GEOMETRY_FIELDS.indexOf(n))));
  }
  return Object.assign(out, { init });
}
