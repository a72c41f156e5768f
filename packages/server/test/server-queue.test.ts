import { describe, expect, it } from 'vitest';
import { ProcessingQueue } from '../src/recording/processing-queue.js';
import { KeyedLock } from '../src/state/keyed-lock.js';
import { MemoryLogger } from './support/server-app.js';

/** A job that runs until the test releases it. */
function controllableJobs() {
  const log: string[] = [];
  const release = new Map<string, () => void>();
  let running = 0;
  let maxRunning = 0;
  const run = (id: string) =>
    new Promise<void>((resolve, reject) => {
      running += 1;
      maxRunning = Math.max(maxRunning, running);
      log.push(`start ${id}`);
      release.set(id, () => {
        running -= 1;
        log.push(`end ${id}`);
        if (id.startsWith('boom')) reject(new Error(`${id} exploded`));
        else resolve();
      });
    });
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
  return { log, release, run, tick, maxRunning: () => maxRunning };
}

describe('ProcessingQueue', () => {
  it('runs one job at a time by default, first in first out, each id once', async () => {
    const jobs = controllableJobs();
    const queue = new ProcessingQueue(1, jobs.run, new MemoryLogger());
    expect(queue.enqueue('a')).toBe(true);
    expect(queue.enqueue('b')).toBe(true);
    expect(queue.enqueue('c')).toBe(true);
    expect(queue.enqueue('a')).toBe(false); // running
    expect(queue.enqueue('b')).toBe(false); // waiting
    await jobs.tick();
    expect(queue.size).toEqual({ waiting: 2, running: 1 });
    for (const id of ['a', 'b', 'c']) {
      await jobs.tick();
      jobs.release.get(id)?.();
    }
    await queue.onIdle();
    expect(jobs.log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(jobs.maxRunning()).toBe(1);
  });

  it('honours a concurrency of N and keeps going after a job throws', async () => {
    const jobs = controllableJobs();
    const logger = new MemoryLogger();
    const queue = new ProcessingQueue(2, jobs.run, logger);
    for (const id of ['boom-1', 'b', 'c', 'd']) queue.enqueue(id);
    await jobs.tick();
    expect(jobs.log).toEqual(['start boom-1', 'start b']);
    jobs.release.get('boom-1')?.();
    await jobs.tick();
    expect(jobs.log.slice(2)).toEqual(['end boom-1', 'start c']);
    for (const id of ['b', 'c', 'd']) {
      await jobs.tick();
      jobs.release.get(id)?.();
    }
    await queue.onIdle();
    expect(jobs.maxRunning()).toBe(2);
    expect(logger.errors.map((l) => l.message)).toEqual([
      'callrec: processing job for recording boom-1 failed unexpectedly',
    ]);
  });

  it('drops removed ids, and on close starts nothing new but waits for running jobs', async () => {
    const jobs = controllableJobs();
    const queue = new ProcessingQueue(1, jobs.run, new MemoryLogger());
    queue.enqueue('a');
    queue.enqueue('b');
    queue.enqueue('c');
    expect(queue.remove('b')).toBe(true);
    await jobs.tick();
    let closed = false;
    const closing = queue.close().then(() => {
      closed = true;
    });
    await jobs.tick();
    expect(closed).toBe(false);
    jobs.release.get('a')?.();
    await closing;
    expect(jobs.log).toEqual(['start a', 'end a']);
    expect(queue.enqueue('d')).toBe(false);
  });
});

describe('KeyedLock', () => {
  it('serializes per key, runs keys independently, and survives a failing holder', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`+${name}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        log.push(`-${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      lock.run('x', step('x1', 20, true)),
      lock.run('x', step('x2', 1)),
      lock.run('y', step('y1', 5)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(log.indexOf('+x2')).toBeGreaterThan(log.indexOf('-x1'));
    expect(log.indexOf('+y1')).toBeLessThan(log.indexOf('-x1'));
  });
});
