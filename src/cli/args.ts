import { CamlabError } from '../tensor/errors.js';

/** What a command accepts: flags with values (repeatable or not) and boolean switches. */
export interface ArgSpec {
  values?: readonly string[];
  repeatable?: readonly string[];
  switches?: readonly string[];
  /** Positional arguments: [min, max]. */
  positional?: readonly [number, number];
}

export interface ParsedArgs {
  positional: string[];
  values: Map<string, string[]>;
  switches: Set<string>;
}

/** Parses `--name value`, `--name=value` and `--switch`; unknown flags are errors naming the command. */
export function parseArgs(command: string, argv: readonly string[], spec: ArgSpec): ParsedArgs {
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  const positional: string[] = [];
  const known = new Set([...(spec.values ?? []), ...(spec.repeatable ?? [])]);
  const sw = new Set(spec.switches ?? []);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--') || a === '--') {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (sw.has(name)) {
      if (eq >= 0) throw new CamlabError(command, `--${name} takes no value`);
      switches.add(name);
      continue;
    }
    if (!known.has(name)) {
      const all = [...known, ...sw].map((n) => `--${n}`).join(', ');
      throw new CamlabError(command, `unknown option --${name} (options: ${all || 'none'})`);
    }
    let v: string | undefined;
    if (eq >= 0) v = a.slice(eq + 1);
    else v = argv[++i];
    if (v === undefined) throw new CamlabError(command, `--${name} needs a value`);
    // `--out --json` must not make a folder named --json: a value that starts with -- is given as --out=VALUE.
    if (eq < 0 && v.startsWith('--')) throw new CamlabError(command, `--${name} needs a value, got the option ${v} (write --${name}=${v} if that is the value)`);
    const list = values.get(name) ?? [];
    if (list.length > 0 && !(spec.repeatable ?? []).includes(name)) throw new CamlabError(command, `--${name} given more than once`);
    list.push(v);
    values.set(name, list);
  }
  const [lo, hi] = spec.positional ?? [0, 0];
  if (positional.length < lo || positional.length > hi) {
    const n = positional.length;
    const s = (k: number): string => (k === 1 ? '' : 's');
    throw new CamlabError(command, lo === hi ? `expects ${lo} argument${s(lo)}, got ${n}` : n < lo ? `expects at least ${lo} argument${s(lo)}, got ${n}` : `expects at most ${hi} arguments, got ${n}`);
  }
  return { positional, values, switches };
}

export function value(args: ParsedArgs, name: string): string | undefined {
  return args.values.get(name)?.[0];
}

/** A numeric flag with range checking. */
export function numberValue(command: string, args: ParsedArgs, name: string, opts: { integer?: boolean; min?: number; max?: number } = {}): number | undefined {
  const raw = value(args, name);
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (opts.integer && !Number.isInteger(v))) {
    throw new CamlabError(command, `--${name} must be ${opts.integer ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  if ((opts.min !== undefined && v < opts.min) || (opts.max !== undefined && v > opts.max)) {
    throw new CamlabError(command, `--${name} must be between ${opts.min ?? '-∞'} and ${opts.max ?? '∞'}, got ${v}`);
  }
  return v;
}
