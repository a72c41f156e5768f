import type { Dirent } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode } from '../errors.js';

/** The temp names writeAtomically and LocalStore give files before renaming them into place. */
const TEMP_NAME = /\.[0-9a-f]{12}\.tmp$/;

/**
 * Removes temp files a killed server left under the local provider's root (a part, an assembled
 * track or an output that was being written), so no half-written file stays next to real ones.
 * Call it at startup, before anything writes; `skip` names top-level directories to leave alone.
 */
export async function removeInterruptedWrites(root: string, skip: string[] = []): Promise<string[]> {
  const removed: string[] = [];
  const walk = async (dir: string, top: boolean): Promise<void> => {
    let entries: Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return; // no root yet: nothing was written
      throw err;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!(top && skip.includes(entry.name))) await walk(path, false);
      } else if (TEMP_NAME.test(entry.name)) {
        await rm(path, { force: true });
        removed.push(path);
      }
    }
  };
  await walk(root, true);
  return removed;
}
