/**
 * The command line's one progress reporter, for anything that can take more than a couple of
 * seconds (demo, explain with noise or exact derivatives, Score-CAM, eval, train). On a terminal
 * it draws a bar with the time left on stderr, redrawn in place; otherwise (a pipe, a log file,
 * CI) it prints a plain line now and then. Quick work prints nothing. The time left is estimated
 * from the work measured so far (elapsed × remaining / done), or given by the caller when it
 * knows that the remaining work costs differently (eval's expensive first images).
 */
import { duration } from './report.js';

/** Where progress goes: stderr, or anything with `write` (tests). */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** One piece of work with a known end. */
export interface ProgressTask {
  /**
   * `fraction` of the work done (0..1), what is being done now, and the seconds left when the
   * caller estimates them itself (default: elapsed × (1 − fraction) / fraction) — of the whole
   * task, or of the part named `leftOf` when only that part can be estimated yet.
   */
  update(fraction: number, detail?: string, secondsLeft?: number, leftOf?: string): void;
  /** The work is over: a terminal's bar is cleared. */
  end(): void;
}

/** On a terminal the bar appears after this long (quick work leaves no trace). */
export const TTY_DELAY_MS = 500;
/** A plain line appears after this long, then at most once per PLAIN_EVERY_MS. */
export const PLAIN_DELAY_MS = 2000;
export const PLAIN_EVERY_MS = 10_000;
const TTY_EVERY_MS = 100;
const BAR = 24;

/** `[######..........]` for a fraction. */
export function progressBar(f: number, width = BAR): string {
  const k = Math.max(0, Math.min(width, Math.round(f * width)));
  return `[${'#'.repeat(k)}${'.'.repeat(width - k)}]`;
}

export class Progress {
  private open = false;

  /** `stream` null: no progress at all. `clock` in ms (tests pass their own). */
  constructor(private readonly stream: ProgressStream | null, private readonly clock: () => number = () => performance.now()) {}

  /** Starts a task named `label` (e.g. `explain photo.png`). */
  task(label: string): ProgressTask {
    const out = this.stream;
    if (out === null) return { update: () => {}, end: () => {} };
    const tty = out.isTTY === true;
    const t0 = this.clock();
    let last = -Infinity;
    return {
      update: (fraction, detail, secondsLeft, leftOf) => {
        const now = this.clock();
        const elapsed = now - t0;
        if (elapsed < (tty ? TTY_DELAY_MS : PLAIN_DELAY_MS) || now - last < (tty ? TTY_EVERY_MS : PLAIN_EVERY_MS)) return;
        last = now;
        const f = Math.max(0, Math.min(1, fraction));
        const left = secondsLeft ?? (f > 0 ? ((elapsed / 1000) * (1 - f)) / f : Infinity);
        const text = `${label}${detail ? `: ${detail}` : ''}, ${(100 * f).toFixed(0)}%, ${duration(elapsed / 1000)} so far, about ${duration(left)} left${leftOf === undefined ? '' : ` in ${leftOf}`}`;
        if (tty) {
          out.write(`\r${progressBar(f)} ${text}\x1b[K`);
          this.open = true;
        } else {
          out.write(`camlab ${text}\n`);
        }
      },
      end: () => this.clear(),
    };
  }

  /** Clears a terminal's bar (before a message or at the end). */
  clear(): void {
    if (this.open) this.stream?.write('\r\x1b[K');
    this.open = false;
  }
}
