/**
 * The pictures a command reads: files named on the command line and the PNG and JPEG files of
 * folders, each with the stem its output files are named by. Checked before any work: at most
 * LIMITS.inputs pictures, no empty folder, no two pictures whose outputs would share names.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { imageFiles } from '../node/files.js';
import { CommandError, underCommand } from './errors.js';
import { namePart } from './file-names.js';
import { LIMITS } from './limits.js';

export interface InputPicture {
  path: string;
  /** The file name without its extension, as output names use it. */
  stem: string;
}

/** The pictures named by `paths` (files, or folders of PNG/JPEG files), in order. */
export function inputPictures(command: string, paths: readonly string[]): InputPicture[] {
  const files: string[] = [];
  for (const p of paths) {
    if (existsSync(p) && statSync(p).isDirectory()) {
      const found = underCommand(command, () => imageFiles(p));
      if (found.length === 0) throw new CommandError(command, `no PNG or JPEG pictures in the folder ${p}`);
      files.push(...found.map((f) => join(p, f)));
    } else {
      files.push(p); // a missing file is reported when it is read, with the others going on
    }
    if (files.length > LIMITS.inputs.max) throw new CommandError(command, `more than ${LIMITS.inputs.max} pictures to explain (${paths.join(' ')}); run several commands`);
  }
  const byStem = new Map<string, string>();
  return files.map((path) => {
    const stem = basename(path, extname(path));
    const other = byStem.get(namePart(stem));
    if (other !== undefined) throw new CommandError(command, `${other} and ${path} would write output files of the same names (${namePart(stem)}_…); explain them in separate runs with different --out`);
    byStem.set(namePart(stem), path);
    return { path, stem };
  });
}
