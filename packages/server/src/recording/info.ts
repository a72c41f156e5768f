import type { RecordingInfo, TrackInfo } from '@callrec/sdk/protocol';
import type { CompositeSettings } from '../config.js';
import type { RecordingState, TrackState } from '../state/recording-state.js';
import type { RecordingStorage } from '../storage/storage.js';

/** How long the play/download URLs in a RecordingInfo stay valid. */
export const READ_URL_TTL_SECONDS = 3600;

export function toTrackInfo(track: TrackState): TrackInfo {
  const { key, uploadId, upload, signedParts, parts, lastActivityAt, completing, ...info } = track;
  return structuredClone(info);
}

/** The recording's composite settings; what it did not store (older state files) comes from `defaults`. */
export function compositeSettings(
  state: Partial<CompositeSettings>,
  defaults: CompositeSettings,
): CompositeSettings {
  return {
    layout: state.layout ?? defaults.layout,
    labels: state.labels ?? defaults.labels,
    width: state.width ?? defaults.width,
    height: state.height ?? defaults.height,
    fps: state.fps ?? defaults.fps,
  };
}

/** The public view of a recording, with freshly signed URLs for its outputs and thumbnails. */
export async function toRecordingInfo(
  state: RecordingState,
  storage: RecordingStorage,
  defaults: CompositeSettings,
): Promise<RecordingInfo> {
  const sign = (key: string) => storage.signRead(key, READ_URL_TTL_SECONDS);
  const info: RecordingInfo = {
    id: state.id,
    roomId: state.roomId,
    status: state.status,
    createdAt: state.createdAt,
    stoppedAt: state.stoppedAt,
    completedAt: state.completedAt,
    format: state.format,
    videoCodec: state.videoCodec,
    audioCodec: state.audioCodec,
    ...compositeSettings(state, defaults),
    pauses: structuredClone(state.pauses ?? []),
    storage: { ...state.storage },
    tracks: state.tracks.map(toTrackInfo),
    outputs: await Promise.all(state.outputs.map(async (o) => ({ ...o, url: await sign(o.key) }))),
    thumbnails: await Promise.all(state.thumbnails.map(async (t) => ({ ...t, url: await sign(t.key) }))),
    duration: state.duration,
    error: state.error && structuredClone(state.error),
  };
  // Leave optional fields out rather than sending `"stoppedAt": undefined` shapes to embedders.
  for (const k of ['stoppedAt', 'completedAt', 'duration', 'error'] as const) {
    if (info[k] === undefined) delete info[k];
  }
  return info;
}
