import type { ClockSyncedEvent, ClockSyncFailedEvent } from './clock-sync.js';
import type { MediaKind, PauseSpan, RecordingEventMap } from './protocol.js';

export type { ClockSyncedEvent, ClockSyncFailedEvent };

/** Names of every event a `CallRecorder` emits: `recorder.on(RecorderEvent.TrackFailed, cb)`. */
export const RecorderEvent = {
  RecordingStarted: 'recordingStarted',
  RecordingProgress: 'recordingProgress',
  RecordingProcessing: 'recordingProcessing',
  RecordingCompleted: 'recordingCompleted',
  RecordingFailed: 'recordingFailed',
  ThumbnailsGenerated: 'thumbnailsGenerated',
  RecordingUploaded: 'recordingUploaded',
  TrackAdded: 'trackAdded',
  TrackProgress: 'trackProgress',
  TrackEnded: 'trackEnded',
  TrackFailed: 'trackFailed',
  RecordingPaused: 'recordingPaused',
  RecordingResumed: 'recordingResumed',
  ClockSynced: 'clockSynced',
  ClockSyncFailed: 'clockSyncFailed',
  JournalBehind: 'journalBehind',
} as const satisfies Record<string, keyof RecorderEventMap>;

export interface TrackRef {
  trackId: string;
  participantId: string;
  kind: MediaKind;
}

export interface TrackAddedEvent extends TrackRef {
  displayName: string;
  mimeType: string;
}

export interface TrackProgressEvent extends TrackRef {
  /** Bytes the recorder produced so far. */
  recordedBytes: number;
  /** Bytes storage confirmed so far (whole parts). */
  uploadedBytes: number;
  chunks: number;
  /** CRC-32 of the recorded bytes in order, 8 hex digits: what storage must hold in the end. */
  crc32: string;
  /** Bytes recorded but not yet confirmed by storage: what a closed tab would leave behind. */
  backlogBytes: number;
}

/** The track stopped recording and all of its bytes are confirmed in storage. */
export interface TrackEndedEvent extends TrackProgressEvent {
  endedAt: number;
}

export interface TrackFailedEvent extends TrackRef {
  error: { code: string; message: string };
  /**
   * Storage stayed unreachable after the recorder stopped: the bytes are kept in the journal
   * and `CallRecorder.recover()` finishes the track later. False: the track is lost.
   */
  interrupted: boolean;
}

/** The server's progress event, plus what only the browser knows. */
export interface RecorderProgressEvent {
  recordingId: string;
  chunks: number;
  participants: number;
  /** Bytes recorded (and journaled) so far, all tracks together. */
  bytes: number;
  /** Bytes recorded but not yet confirmed by storage, failed tracks excepted. */
  backlogBytes: number;
  /** Part of the backlog still in memory, waiting for the journal (IndexedDB) to commit it. */
  waitingBytes: number;
}

/**
 * A warning: the journal falls behind the recorders (a starved or throttled page, a slow disk),
 * and more than `thresholdBytes` of recorded chunks wait in memory. Emitted once per crossing.
 */
export interface JournalBehindEvent {
  recordingId: string;
  waitingBytes: number;
  thresholdBytes: number;
}

/** Every recorder of this page paused; `pausedAt` is on the server clock. */
export interface RecordingPausedEvent {
  recordingId: string;
  pausedAt: number;
}

/** Recording again; `pause` is the span left out of the outputs (server clock). */
export interface RecordingResumedEvent {
  recordingId: string;
  pause: PauseSpan;
}

export interface RecorderEventMap extends RecordingEventMap {
  recordingProgress: RecorderProgressEvent;
  trackAdded: TrackAddedEvent;
  trackProgress: TrackProgressEvent;
  trackEnded: TrackEndedEvent;
  trackFailed: TrackFailedEvent;
  recordingPaused: RecordingPausedEvent;
  recordingResumed: RecordingResumedEvent;
  /** The estimate of the server's clock was renewed. */
  clockSynced: ClockSyncedEvent;
  /** A warning: the server's clock could not be read; the last good offset stays in use. */
  clockSyncFailed: ClockSyncFailedEvent;
  /** A warning: more than the threshold of recorded bytes waits in memory for the journal. */
  journalBehind: JournalBehindEvent;
}

export type Listener<T> = (payload: T) => void;

/** A small typed emitter; subclasses emit, users listen. */
export class TypedEmitter<Events extends object> {
  #listeners = new Map<keyof Events, Set<Listener<never>>>();

  on<K extends keyof Events>(name: K, listener: Listener<Events[K]>): this {
    let set = this.#listeners.get(name);
    if (!set) {
      set = new Set();
      this.#listeners.set(name, set);
    }
    set.add(listener as Listener<never>);
    return this;
  }

  off<K extends keyof Events>(name: K, listener: Listener<Events[K]>): this {
    this.#listeners.get(name)?.delete(listener as Listener<never>);
    return this;
  }

  once<K extends keyof Events>(name: K, listener: Listener<Events[K]>): this {
    const wrapper: Listener<Events[K]> = (payload) => {
      this.off(name, wrapper);
      listener(payload);
    };
    return this.on(name, wrapper);
  }

  protected emit<K extends keyof Events>(name: K, payload: Events[K]): void {
    const set = this.#listeners.get(name);
    if (!set) return;
    // A copy, so a listener that unsubscribes (`once`) does not disturb the iteration.
    for (const listener of [...set] as Listener<Events[K]>[]) {
      try {
        listener(payload);
      } catch (error) {
        // A broken listener must not break the recording, but it must not go unnoticed either.
        console.error(`callrec: a '${String(name)}' listener threw`, error);
      }
    }
  }
}
