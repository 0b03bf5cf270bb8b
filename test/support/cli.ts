import { run } from '../../src/cli/run.js';

/** Runs the camlab CLI in this process with its output captured: exit code, stdout and stderr. */
export function cli(argv: string[]): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const code = run(argv, { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  if (typeof code !== 'number') throw new Error(`camlab ${argv[0]} ran in the background`);
  return { code, out, err };
}
