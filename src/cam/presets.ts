import { fail } from '../tensor/errors.js';

/**
 * A method's presets: named option sets that reproduce a known implementation's choices. Each
 * method keeps its table next to its formula (`GRAD_CAM_PP_PRESETS`, `SMOOTH_GRAD_CAM_PP_PRESETS`),
 * typed with `satisfies`; every method resolves names through the two functions below.
 */
export type PresetTable<O> = Readonly<Record<string, Readonly<Partial<O>>>>;

/** The preset names of a table. */
export function presetNames(table: PresetTable<object>): string[] {
  return Object.keys(table);
}

/** `name` checked against the table (own keys only) and typed as one of its keys; undefined stays undefined. */
export function presetName<T extends PresetTable<object>>(op: string, table: T, name: string | undefined): (keyof T & string) | undefined {
  if (name === undefined) return undefined;
  if (!Object.hasOwn(table, name)) fail(op, `unknown preset '${String(name)}'; known: ${presetNames(table).join(', ')}`);
  return name;
}

/**
 * The options that preset `name` (default `fallback`) plus explicit options amount to: every
 * explicit option that is not undefined overrides the preset's value.
 */
export function withPreset<O extends object>(
  op: string, table: PresetTable<O>, name: string | undefined, fallback: string, explicit: { [K in keyof O]?: O[K] | undefined },
): Partial<O> {
  const out: Partial<O> = { ...table[presetName(op, table, name) ?? fallback] };
  for (const [k, v] of Object.entries(explicit)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** A method's options with `preset` as any name (checked when it runs): what `explain` and the surfaces pass. */
export type NamedPreset<O extends { preset?: string }> = Omit<O, 'preset'> & { preset?: string };

/** `{ preset }` checked and typed for the table, or `{}` without a name (spreads into a method's options). */
export function presetOption<T extends PresetTable<object>>(op: string, table: T, name: string | undefined): { preset?: keyof T & string } {
  const p = presetName(op, table, name);
  return p === undefined ? {} : { preset: p };
}
