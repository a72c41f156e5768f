import { describe, expect, it } from 'vitest';
import type { ProcessingTrack } from '../src/processing/job.js';
import { computeTimeline, type ProbedTrack, planParticipants } from '../src/processing/plan.js';

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
    expect(timeline).toEqual({ startedAt: T0, endsAt: T0 + 5800, duration: 5.8 });
  });

  it('refuses an empty recording', () => {
    expect(() => computeTimeline([])).toThrow();
  });
});

describe('planParticipants', () => {
  it('orders participants by join time and takes the longest track of each kind', () => {
    const tracks = [
      probed('bv', 'bob', 'video', 2600, 2),
      probed('aa', 'alice', 'audio', 0, 5),
      probed('av1', 'alice', 'video', 800, 1),
      probed('av2', 'alice', 'video', 3000, 2.5),
    ];
    const plans = planParticipants(tracks);
    expect(plans.map((p) => p.participantId)).toEqual(['alice', 'bob']);
    const [alice, bob] = plans;
    expect(alice?.audio?.track.trackId).toBe('aa');
    expect(alice?.video?.track.trackId).toBe('av2');
    expect(alice?.videoTracks.map((t) => t.track.trackId)).toEqual(['av1', 'av2']);
    expect(alice?.startedAt).toBe(T0);
    expect(alice?.endsAt).toBe(T0 + 5500);
    expect(bob?.audio).toBeUndefined();
    expect(bob?.startedAt).toBe(T0 + 2600);
  });

  it('breaks join-time ties by participant id', () => {
    const plans = planParticipants([probed('z', 'zed', 'audio', 0, 1), probed('a', 'amy', 'audio', 0, 1)]);
    expect(plans.map((p) => p.participantId)).toEqual(['amy', 'zed']);
  });
});
