/**
 * Progress of the long loops inside the methods (exact diagonals in batches, noisy samples,
 * Score-CAM's masked passes), for a caller that shows it: a CLI bar, a web worker's messages.
 * The methods are synchronous, so a sink set by {@link withProgress} for the duration of one call
 * sees every loop that call runs; nested loops (exact derivatives at each noisy sample) combine
 * into one fraction. Without a sink, reporting costs one comparison.
 */

/** What a sink sees: the fraction of the whole call done (0..1) and the innermost loop's name. */
export interface ProgressEvent {
  fraction: number;
  task: string;
}

export type ProgressSink = (e: ProgressEvent) => void;

interface Level {
  task: string;
  done: number;
  total: number;
}

let sink: ProgressSink | null = null;
const stack: Level[] = [];

/** Runs fn with `s` receiving the progress of every loop inside it; restores the previous sink after. */
export function withProgress<T>(s: ProgressSink, fn: () => T): T {
  const previous = sink;
  const depth = stack.length;
  sink = s;
  try {
    return fn();
  } finally {
    sink = previous;
    stack.length = depth;
  }
}

/** The fraction of the outermost loop done, counting the open inner loops' parts. */
function fraction(): number {
  let f = 0;
  for (let i = stack.length - 1; i >= 0; i--) {
    const l = stack[i]!;
    f = (l.done + f) / l.total;
  }
  return f;
}

/** A loop of `total` steps: call `step()` after each step and `end()` after the loop. */
export interface ProgressLoop {
  step(): void;
  end(): void;
}

const NONE: ProgressLoop = { step: () => {}, end: () => {} };

/** Opens a loop named `task` of `total` steps inside the current one (if any). */
export function progressLoop(task: string, total: number): ProgressLoop {
  if (sink === null || !(total > 0)) return NONE;
  const level: Level = { task, done: 0, total };
  stack.push(level);
  const report = sink;
  return {
    step() {
      level.done = Math.min(level.total, level.done + 1);
      report({ fraction: fraction(), task });
    },
    end() {
      const i = stack.lastIndexOf(level);
      if (i >= 0) stack.length = i;
    },
  };
}
