import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Creates or replaces `dest` so that a crash leaves either the old or the new content, never a
 * mix: `write` fills a temp file in the same directory, which is fsynced and renamed over `dest`.
 */
export async function writeAtomically<T>(dest: string, write: (fh: FileHandle) => Promise<T>): Promise<T> {
  const tmp = `${dest}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fh = await open(tmp, 'wx');
    let result: T;
    try {
      result = await write(fh);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, dest);
    return result;
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** writeAtomically for a string, plus an fsync of the directory so the rename itself is durable. */
export async function writeFileAtomic(path: string, data: string): Promise<void> {
  await writeAtomically(path, (fh) => fh.writeFile(data));
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
