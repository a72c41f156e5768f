import { describe, expect, it } from 'vitest';
import { LocalVideoClock } from '../src/local-video-clock.js';

describe('LocalVideoClock', () => {
  it('waits for the calibrations under way, then gives the largest offset', async () => {
    const clock = new LocalVideoClock();
    let finishCamera: (offset: number | undefined) => void = () => {};
    clock.add(Promise.resolve(4_990));
    clock.add(new Promise((resolve) => (finishCamera = resolve)));
    clock.add(Promise.resolve(undefined));
    let offset: number | undefined | 'pending' = 'pending';
    const read = clock.offset().then((value) => (offset = value));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(offset).toBe('pending');
    finishCamera(4_999);
    await read;
    expect(offset).toBe(4_999);
  });

  it('knows no offset until a local track gave one', async () => {
    const clock = new LocalVideoClock();
    expect(await clock.offset()).toBeUndefined();
    clock.add(Promise.resolve(undefined));
    expect(await clock.offset()).toBeUndefined();
  });
});
