/**
 * Errors as the command line shows them: each line names the user's command, and the method
 * when one failed (`camlab: explain --method cam: CAM needs …`), never an internal function
 * (`cam:`, `Module.get:`, `png:`). camlab's errors carry the operation that raised them
 * (CamlabError.op); the CLI swaps it for the command here, and nowhere else.
 */
import { CamlabError } from '../tensor/errors.js';

/** An error already phrased for the command line: its prefix is the user's command (and method). */
export class CommandError extends CamlabError {}

/** The message of a camlab error without its `op: ` prefix. */
export function detail(e: CamlabError): string {
  const prefix = `${e.op}: `;
  return e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
}

/** A camlab error re-phrased under the user's command (`explain`, `explain --method cam`); other errors unchanged. */
export function asCommandError(context: string, e: unknown): unknown {
  if (e instanceof CommandError || !(e instanceof CamlabError)) return e;
  return new CommandError(context, detail(e));
}

/** Runs fn; a camlab error it raises is re-phrased under `context` (see {@link asCommandError}). */
export function underCommand<T>(context: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asCommandError(context, e);
  }
}

/**
 * The one line `camlab: …` a failed command prints (newlines inside a message become spaces); an
 * error of camlab itself (op 'camlab', e.g. an unknown command) is not prefixed twice.
 */
export function errorLine(e: CamlabError): string {
  return `${e.op === 'camlab' ? '' : 'camlab: '}${e.message.replace(/\s*\n\s*/g, ' ')}`;
}
