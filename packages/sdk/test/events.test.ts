import { describe, expect, it, vi } from 'vitest';
import { RecorderEvent, TypedEmitter } from '../src/events.js';
import { DEFAULT_MIME_TYPES, pickMimeType } from '../src/mime.js';
import { RECORDING_EVENT_NAMES } from '../src/protocol.js';

class Emitter extends TypedEmitter<{ ping: { n: number } }> {
  fire(n: number): void {
    this.emit('ping', { n });
  }
}

describe('TypedEmitter', () => {
  it('keeps going when a listener throws, and reports it', () => {
    const report = vi.spyOn(console, 'error').mockImplementation(() => {});
    const emitter = new Emitter();
    const seen: number[] = [];
    emitter.on('ping', () => {
      throw new Error('broken listener');
    });
    emitter.on('ping', ({ n }) => seen.push(n));
    emitter.fire(1);
    expect(seen).toEqual([1]);
    expect(report).toHaveBeenCalledWith(expect.stringContaining("'ping'"), expect.any(Error));
    report.mockRestore();
  });

  it('supports once and off', () => {
    const emitter = new Emitter();
    const seen: number[] = [];
    const listener = ({ n }: { n: number }) => seen.push(n * 10);
    emitter.once('ping', ({ n }) => seen.push(n)).on('ping', listener);
    emitter.fire(1);
    emitter.off('ping', listener);
    emitter.fire(2);
    expect(seen).toEqual([1, 10]);
  });

  it('names every protocol event and the SDK events', () => {
    const names = Object.values(RecorderEvent);
    for (const name of RECORDING_EVENT_NAMES) expect(names).toContain(name);
    const sdkEvents = [
      ...['trackAdded', 'trackProgress', 'trackEnded', 'trackFailed'],
      ...['recordingPaused', 'recordingResumed', 'clockSynced', 'clockSyncFailed'],
      'journalBehind',
    ];
    expect(names).toEqual(expect.arrayContaining(sdkEvents));
    expect(names).toHaveLength(RECORDING_EVENT_NAMES.length + sdkEvents.length);
  });
});

describe('pickMimeType', () => {
  it('takes the first supported type of the preference list', () => {
    expect(pickMimeType('video', {}, () => true)).toBe('video/webm;codecs=vp8');
    expect(pickMimeType('video', {}, (t) => t !== 'video/webm;codecs=vp8')).toBe('video/webm;codecs=vp9');
    expect(pickMimeType('audio', {}, (t) => t === 'audio/webm')).toBe('audio/webm');
    expect(pickMimeType('video', { video: ['video/mp4', 'video/webm'] }, (t) => t === 'video/webm')).toBe(
      'video/webm',
    );
    expect(DEFAULT_MIME_TYPES.audio[0]).toBe('audio/webm;codecs=opus');
  });

  it('fails clearly when nothing is supported', () => {
    expect(() => pickMimeType('audio', {}, () => false)).toThrow(
      expect.objectContaining({ code: 'unsupported_mime_type' }) as unknown as Error,
    );
  });
});
