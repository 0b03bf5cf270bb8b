// Removes the given folders (portable `rm -rf`, used by `npm run build` before tsc emits).
import { rmSync } from 'node:fs';

for (const dir of process.argv.slice(2)) rmSync(dir, { recursive: true, force: true });
