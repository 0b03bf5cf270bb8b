import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { run } from '../../src/cli/run.js';

/** What a CLI run printed and returned. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

function start(argv: readonly string[]): { code: number | Promise<number>; result: (code: number) => CliRun } {
  let out = '';
  let err = '';
  const code = run(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) }, progress: false });
  return { code, result: (c) => ({ code: c, out, err }) };
}

/** Runs the `camlab` CLI in this process (no progress output) and captures stdout and stderr. */
export function cli(argv: readonly string[]): CliRun {
  const { code, result } = start(argv);
  if (typeof code !== 'number') throw new Error(`camlab ${argv[0] ?? ''} ran in the background: use cliAsync`);
  return result(code);
}

/** The same for a command that may wait for other processes (eval --workers). */
export async function cliAsync(argv: readonly string[]): Promise<CliRun> {
  const { code, result } = start(argv);
  return result(await code);
}

/** A fresh temporary folder. */
export function tmpDir(prefix = 'camlab-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every file under dir (relative paths, sorted); [] when dir does not exist. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const walk = (d: string): string[] => readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? walk(p) : [relative(dir, p)];
  });
  return walk(dir).sort();
}
