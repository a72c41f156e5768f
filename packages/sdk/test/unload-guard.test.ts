import { describe, expect, it } from 'vitest';
import type { RecordedTrack, TrackStats } from '../src/recorded-track.js';
import { recordingProgress } from '../src/recorded-track.js';
import { UnloadGuard, type UnloadTarget } from '../src/unload-guard.js';

class FakeWindow implements UnloadTarget {
  readonly listeners = new Set<(event: BeforeUnloadEvent) => void>();
  addEventListener(_type: 'beforeunload', listener: (event: BeforeUnloadEvent) => void): void {
    this.listeners.add(listener);
  }
  removeEventListener(_type: 'beforeunload', listener: (event: BeforeUnloadEvent) => void): void {
    this.listeners.delete(listener);
  }
}

describe('UnloadGuard', () => {
  it('asks the user to stay only while bytes are unsent', () => {
    const window = new FakeWindow();
    const guard = new UnloadGuard(window);
    guard.update(0);
    expect(window.listeners.size).toBe(0);
    guard.update(10);
    guard.update(20);
    expect(window.listeners.size).toBe(1);
    const event = {
      defaultPrevented: false,
      returnValue: undefined as unknown,
    } as unknown as BeforeUnloadEvent;
    let prevented = false;
    (event as { preventDefault: () => void }).preventDefault = () => {
      prevented = true;
    };
    for (const listener of window.listeners) listener(event);
    expect(prevented).toBe(true);
    expect(event.returnValue).toBe('');
    guard.update(0);
    expect(window.listeners.size).toBe(0);
    expect(guard.installed).toBe(false);
  });

  it('does nothing without a window', () => {
    const guard = new UnloadGuard(null);
    guard.update(5);
    expect(guard.installed).toBe(false);
  });
});

describe('recordingProgress', () => {
  const track = (stats: Partial<TrackStats>, active = true) =>
    ({
      active,
      stats: {
        participantId: 'p',
        chunks: 1,
        recordedBytes: 10,
        backlogBytes: 4,
        waitingBytes: 0,
        status: 'recording',
        ...stats,
      },
    }) as unknown as RecordedTrack;

  it('reports the backlog of every track that can still be saved', () => {
    const progress = recordingProgress('rec1', [
      track({ participantId: 'alice' }),
      track({ participantId: 'bob', backlogBytes: 6, waitingBytes: 2, status: 'interrupted' }, false),
      track({ participantId: 'carol', backlogBytes: 100, status: 'failed' }, false),
    ]);
    expect(progress).toEqual({
      recordingId: 'rec1',
      chunks: 3,
      participants: 1,
      bytes: 30,
      backlogBytes: 10,
      waitingBytes: 2,
    });
  });
});
