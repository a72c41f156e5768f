import { describe, expect, it } from 'vitest';
import { MemoryChunkJournal } from '../src/chunk-journal.js';
import type { RegisterTrackRequest, RegisterTrackResponse } from '../src/protocol.js';
import { newJournaledTrack, TrackJournal } from '../src/track-journal.js';
import { registerJournaledTrack } from '../src/track-registration.js';

const metadata = {
  recordingId: 'rec1',
  trackId: 'video-1-abcd',
  participantId: 'alice',
  displayName: 'Alice',
  kind: 'video' as const,
  mimeType: 'video/webm;codecs=vp8',
};

function api() {
  const bodies: RegisterTrackRequest[] = [];
  return {
    bodies,
    registerTrack: async (_id: string, trackId: string, body: RegisterTrackRequest) => {
      bodies.push(body);
      const upload = { type: 'multipart', partSize: 10, minPartSize: 5, maxParts: 100 } as const;
      return {
        track: { id: trackId, ...body, status: 'recording' },
        upload,
      } satisfies RegisterTrackResponse;
    },
  };
}

describe('registerJournaledTrack', () => {
  it('journals the server-clock start with its clock estimate, and sends the journaled one again after a reload', async () => {
    const journal = new MemoryChunkJournal();
    const first = new TrackJournal(journal, newJournaledTrack(metadata));
    const server = api();
    const clock = { offsetMs: -7000, rttMs: 12 };
    await registerJournaledTrack(server, first, 1_000_000, {}, clock);
    expect(server.bodies[0]).toMatchObject({ startedAt: 1_000_000, clock });

    // A reloaded page measures the clock again; the track keeps what was sent the first time.
    const [saved] = await journal.listTracks('rec1');
    const reloaded = new TrackJournal(journal, saved ?? newJournaledTrack(metadata));
    await registerJournaledTrack(server, reloaded, 1_050_000, {}, { offsetMs: -6990, rttMs: 30 });
    expect(server.bodies[1]).toMatchObject({ startedAt: 1_000_000, clock });
  });

  it('sends no clock when none was measured', async () => {
    const server = api();
    await registerJournaledTrack(
      server,
      new TrackJournal(new MemoryChunkJournal(), newJournaledTrack(metadata)),
      5,
      {},
    );
    expect(server.bodies[0]).not.toHaveProperty('clock');
  });
});
