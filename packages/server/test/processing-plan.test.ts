import { describe, expect, it } from 'vitest';
import type { ProcessingTrack } from '../src/processing/job.js';
import {
  computeTimeline,
  mergePauses,
  outputSeconds,
  type ProbedTrack,
  planParticipants,
  trackOffset,
} from '../src/processing/plan.js';

const T0 = 1_700_000_000_000;

function probed(
  trackId: string,
  participantId: string,
  kind: ProcessingTrack['kind'],
  startOffsetMs: number,
  duration: number,
): ProbedTrack {
  return {
    track: {
      trackId,
      participantId,
      displayName: participantId,
      kind,
      path: `/raw/${trackId}`,
      startedAt: T0 + startOffsetMs,
    },
    path: `/w/tracks/${trackId}.mkv`,
    duration,
    codec: kind === 'audio' ? 'opus' : 'vp8',
  };
}

describe('computeTimeline', () => {
  it('spans the earliest start to the latest start + probed duration', () => {
    const timeline = computeTimeline([
      probed('aa', 'alice', 'audio', 0, 5),
      probed('av', 'alice', 'video', 800, 5),
      probed('ba', 'bob', 'audio', 2000, 3),
    ]);
    expect(timeline).toEqual({ startedAt: T0, endsAt: T0 + 5800, pauses: [], duration: 5.8 });
  });

  it('refuses an empty recording', () => {
    expect(() => computeTimeline([])).toThrow();
  });
});

describe('planParticipants', () => {
  it('orders participants by join time and keeps every track of each kind, by start', () => {
    const tracks = [
      probed('bv', 'bob', 'video', 2600, 2),
      probed('aa', 'alice', 'audio', 0, 5),
      probed('av2', 'alice', 'video', 3000, 2.5),
      probed('av1', 'alice', 'video', 800, 1),
    ];
    const plans = planParticipants(tracks);
    expect(plans.map((p) => p.participantId)).toEqual(['alice', 'bob']);
    const [alice, bob] = plans;
    expect(alice?.audioTracks.map((t) => t.track.trackId)).toEqual(['aa']);
    expect(alice?.videoTracks.map((t) => t.track.trackId)).toEqual(['av1', 'av2']);
    expect(alice?.startedAt).toBe(T0);
    expect(alice?.endsAt).toBe(T0 + 5500);
    expect(bob?.audioTracks).toEqual([]);
    expect(bob?.startedAt).toBe(T0 + 2600);
    expect(bob?.endsAt).toBe(T0 + 4600);
  });

  it('ends a participant later by the pauses inside their tracks', () => {
    const [alice] = planParticipants(
      [probed('aa', 'alice', 'audio', 0, 5)],
      [{ from: T0 + 1000, to: T0 + 3000 }],
    );
    expect(alice?.endsAt).toBe(T0 + 7000);
  });

  it('breaks join-time ties by participant id', () => {
    const plans = planParticipants([probed('z', 'zed', 'audio', 0, 1), probed('a', 'amy', 'audio', 0, 1)]);
    expect(plans.map((p) => p.participantId)).toEqual(['amy', 'zed']);
  });
});

describe('pauses on the timeline', () => {
  const T0 = 1_700_000_000_000;
  const probed = (startedAt: number, duration: number): ProbedTrack => ({
    track: {
      trackId: `t${startedAt}`,
      participantId: 'p',
      displayName: 'p',
      kind: 'audio',
      path: 'x',
      startedAt,
    },
    path: 'x',
    duration,
    codec: 'opus',
  });

  it('leaves paused time out of the duration and shifts later starts back', () => {
    // Recorded 0–10 s, paused 10–15 s, recorded 15–20 s: 15 s of media.
    const a = probed(T0, 15);
    const late = probed(T0 + 16_000, 4);
    const timeline = computeTimeline([a, late], [{ from: T0 + 10_000, to: T0 + 15_000 }]);
    expect(timeline.endsAt).toBe(T0 + 20_000);
    expect(timeline.duration).toBe(15);
    expect(trackOffset(timeline, late)).toBe(11);
    expect(outputSeconds(timeline, T0 + 12_000)).toBe(10);
  });

  it('merges overlapping pauses and clips them to the timeline', () => {
    expect(
      mergePauses([
        { from: 5, to: 8 },
        { from: 1, to: 3 },
        { from: 2, to: 4 },
        { from: 9, to: 9 },
      ]),
    ).toEqual([
      { from: 1, to: 4 },
      { from: 5, to: 8 },
    ]);
    const timeline = computeTimeline([probed(T0, 10)], [{ from: T0 - 5_000, to: T0 + 2_000 }]);
    expect(timeline.pauses).toEqual([{ from: T0, to: T0 + 2_000 }]);
    expect(timeline.duration).toBe(10);
  });
});
