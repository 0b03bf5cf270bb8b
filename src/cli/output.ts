/**
 * A command's output folder, written safely. `check()` runs before any work: `--out` naming a
 * file, or a folder camlab may not write into, is a one-line error then, not a stack trace after
 * minutes of computing. Files are written under temporary names (`.NAME.camlab-PID-N.tmp` next to
 * the final one) and renamed by `commit()`; `abort()` removes what a failed command staged
 * (and the folders it created), so a failure leaves no partial output.
 */
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CommandError } from './errors.js';

interface Staged {
  temp: string;
  final: string;
}

let counter = 0;

/** Why a path cannot be written, from a Node error code (one phrase). */
function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EROFS') return 'the file system is read-only';
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'ENOTDIR') return 'a part of the path is a file';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOENT') return 'no such file or folder';
  return (e as Error).message;
}

export class OutputFolder {
  private staged: Staged[] = [];
  /** Folders this command created, outermost first (removed again on abort when empty). */
  private created: string[] = [];

  /** `flag` names where the folder came from in messages (`--out`). */
  constructor(readonly command: string, readonly dir: string, private readonly flag = '--out') {}

  private fail(message: string): never {
    throw new CommandError(this.command, message);
  }

  /**
   * Checks that the folder is one camlab can write: an existing folder with write permission, or
   * a new one whose nearest existing parent is such a folder. Writes nothing.
   */
  check(): void {
    let p = resolve(this.dir);
    if (existsSync(p) && !statSync(p).isDirectory()) this.fail(`${this.flag} ${this.dir} is a file, not a folder`);
    while (!existsSync(p)) {
      const up = dirname(p);
      if (up === p) break;
      p = up;
    }
    if (!statSync(p).isDirectory()) this.fail(`${this.flag} ${this.dir}: ${p} is a file, not a folder`);
    // Permission bits do not tell everything (root, read-only mounts): a probe file does.
    const probe = join(p, `.camlab-probe-${process.pid}-${counter++}.tmp`);
    try {
      accessSync(p, constants.W_OK);
      writeFileSync(probe, '');
    } catch (e) {
      this.fail(`cannot write into ${p === resolve(this.dir) ? this.dir : `${p} (to make ${this.dir})`}: ${reason(e)}`);
    } finally {
      rmSync(probe, { force: true });
    }
  }

  /** The folders from the output folder down to `dir`, created as needed and remembered. */
  private makeFolder(dir: string): void {
    const missing: string[] = [];
    for (let p = resolve(dir); !existsSync(p); p = dirname(p)) missing.unshift(p);
    for (const p of missing) {
      try {
        mkdirSync(p);
      } catch (e) {
        this.fail(`cannot make the folder ${p}: ${reason(e)}`);
      }
      this.created.push(p);
    }
  }

  /** The final path of `name` (relative to the folder). */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Writes `data` for the file `name` (relative, may hold folders) under a temporary name; returns the final path. */
  write(name: string, data: Uint8Array | string): string {
    const final = this.path(name);
    if (existsSync(final) && statSync(final).isDirectory()) this.fail(`cannot write ${final}: it is a folder`);
    if (this.staged.some((s) => s.final === final)) this.fail(`${final} would be written twice by one command`);
    this.makeFolder(dirname(final));
    const temp = join(dirname(final), `.${basename(final)}.camlab-${process.pid}-${counter++}.tmp`);
    try {
      writeFileSync(temp, data);
    } catch (e) {
      rmSync(temp, { force: true });
      this.fail(`cannot write ${final}: ${reason(e)}`);
    }
    this.staged.push({ temp, final });
    return final;
  }

  /** Renames every staged file to its final name; returns the final paths. */
  commit(): string[] {
    const done: string[] = [];
    try {
      for (const s of this.staged) {
        try {
          renameSync(s.temp, s.final);
        } catch (e) {
          this.fail(`cannot write ${s.final}: ${reason(e)}${done.length > 0 ? ` (written before: ${done.join(', ')})` : ''}`);
        }
        done.push(s.final);
      }
    } finally {
      this.staged = this.staged.filter((s) => !done.includes(s.final));
      this.abort();
    }
    this.created = [];
    return done;
  }

  /** Removes the staged files and the empty folders this command created. */
  abort(): void {
    for (const s of this.staged) rmSync(s.temp, { force: true });
    this.staged = [];
    for (const d of [...this.created].reverse()) {
      try {
        rmdirSync(d); // only when empty: a folder holding committed output stays
      } catch {
        // not empty or already gone
      }
    }
    this.created = [];
  }
}
