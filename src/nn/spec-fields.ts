import { fail } from '../tensor/errors.js';

/**
 * Typed, checked reads of one layer entry of a model spec (parsed JSON). Every error is one line
 * naming the field's path in the spec (`architecture.children.features.layers[3].kernel`).
 */
export class SpecFields {
  constructor(readonly spec: Readonly<Record<string, unknown>>, readonly path: string) {}

  /** A finite number (the default when absent). */
  num(key: string, def?: number): number {
    const v = this.spec[key] ?? def;
    if (typeof v !== 'number' || !Number.isFinite(v)) fail('model spec', `${this.path}.${key} must be a number, got ${JSON.stringify(this.spec[key])}`);
    return v;
  }

  /** An integer ≥ 0. */
  int(key: string, def?: number): number {
    const v = this.num(key, def);
    if (!Number.isInteger(v) || v < 0) fail('model spec', `${this.path}.${key} must be a non-negative integer, got ${v}`);
    return v;
  }

  /** An integer ≥ 1 (required unless a default is given). */
  pos(key: string, def?: number): number {
    const v = this.num(key, def);
    if (!Number.isInteger(v) || v < 1) fail('model spec', `${this.path}.${key} must be a positive integer, got ${v}`);
    return v;
  }

  /** A dimension index (may be negative). */
  dim(key: string, def: number): number {
    const v = this.num(key, def);
    if (!Number.isInteger(v)) fail('model spec', `${this.path}.${key} must be an integer (a dimension, may be negative), got ${v}`);
    return v;
  }

  /** An integer or a pair of integers. */
  pair(key: string, def?: number | [number, number]): number | [number, number] {
    const v = this.spec[key] ?? def;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => Number.isInteger(x))) return [v[0] as number, v[1] as number];
    return fail('model spec', `${this.path}.${key} must be an integer or a pair of integers, got ${JSON.stringify(v)}`);
  }

  /** A positive integer or a non-empty list of them (e.g. LayerNorm's normalized shape). */
  dims(key: string): number[] {
    const v = this.spec[key];
    const list = typeof v === 'number' ? [v] : v;
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => Number.isInteger(x) && (x as number) >= 1)) {
      fail('model spec', `${this.path}.${key} must be a positive integer or a list of them, got ${JSON.stringify(v)}`);
    }
    return list as number[];
  }

  /** An optional list of objects, each read by its own SpecFields (path `key[i]`). */
  objects(key: string): SpecFields[] | undefined {
    const v = this.spec[key];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((o) => typeof o === 'object' && o !== null && !Array.isArray(o))) fail('model spec', `${this.path}.${key} must be a list of objects, got ${JSON.stringify(v)}`);
    return v.map((o, i) => new SpecFields(o as Record<string, unknown>, `${this.path}.${key}[${i}]`));
  }

  bool(key: string, def: boolean): boolean {
    const v = this.spec[key] ?? def;
    if (typeof v !== 'boolean') fail('model spec', `${this.path}.${key} must be true or false`);
    return v;
  }
}
