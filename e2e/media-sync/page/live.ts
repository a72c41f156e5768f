/**
 * What the camera and microphone captured, measured in the page: every video frame and every
 * audio buffer of a track, read through a MediaStreamTrackProcessor, carries Chromium's capture
 * timestamp, the same one its MediaRecorder writes into the files. A flash onset is the first
 * bright frame; a beep onset the first loud sample. Unlike requestVideoFrameCallback, which
 * follows the display and skips frames when the machine is busy, this sees every frame.
 *
 * The timestamps run on Chromium's monotonic clock (microseconds since boot), not
 * `performance.now()`. Each watch maps them by the largest `timestamp − performance.now()` it saw
 * at a read, i.e. as if the fastest-delivered frame had been read the instant it was captured
 * (so a few ms late at worst).
 */

/** Chromium's breakout box; not in TypeScript's DOM library yet. */
declare const MediaStreamTrackProcessor: new (init: {
  track: MediaStreamTrack;
  maxBufferSize?: number;
}) => { readable: ReadableStream<VideoFrame | AudioData> };

export interface Watch {
  /** Onsets, `performance.now()` ms. */
  onsets(): number[];
  /** Onsets on the timestamps' own clock, ms. */
  stamps(): number[];
  /** That clock less `performance.now()`, as estimated. */
  clockOffset(): number;
  /** Frames or audio buffers read so far: zero means the watch never ran. */
  seen(): number;
  /** Audio: ms of sound missing between the buffers read (dropped, or never delivered). */
  missingMs(): number;
  stop(): void;
}

/** Bright (flash) above this mean level, 0–255: the backgrounds are 32, every flash colour above 160. */
const BRIGHT = 128;
/** |sample| above this is a beep; beeps peak at 0.5. */
const LOUD = 0.1;
/**
 * Audio buffers (10 ms each) a watch's queue keeps while the page is busy. Chromium keeps 10 and
 * drops the oldest past that: on a page too busy to read every 10 ms, the first buffers of a beep
 * could be gone, and its onset read up to its length late.
 */
const AUDIO_QUEUE = 500;
/** Frames (video) or ms (audio) of quiet before the next onset counts. */
const QUIET_FRAMES = 3;
const QUIET_MS = 100;

/** When a frame or buffer starts and ends (ms, on the watch's own clock), and any onset in it. */
interface Inspection {
  start: number;
  end: number;
  onset?: number;
}

/**
 * `arrival`: onsets are when the chunk reached the page, not its timestamp. A received video
 * frame is shown on arrival, at its render time, while its timestamp is the sender's capture time
 * once RTCP sender reports came (ReceivedVideoTiming in the SDK).
 */
function watch(
  track: MediaStreamTrack,
  inspect: (chunk: VideoFrame | AudioData) => Promise<Inspection>,
  clock: 'stamp' | 'arrival' = 'stamp',
): Watch {
  const clone = track.clone();
  const queue = track.kind === 'audio' ? { maxBufferSize: AUDIO_QUEUE } : {};
  const reader = new MediaStreamTrackProcessor({ track: clone, ...queue }).readable.getReader();
  const stamps: number[] = [];
  const arrivals: number[] = [];
  let clockOffset = Number.NEGATIVE_INFINITY;
  let chunks = 0;
  let lastEnd: number | undefined;
  let missingMs = 0;
  let stopped = false;
  const handle = async (value: VideoFrame | AudioData, readAt: number) => {
    try {
      const { start, end, onset } = await inspect(value);
      // Received audio's stamps jitter by a few ms; half a 10 ms buffer apart is one missing.
      if (track.kind === 'audio' && lastEnd !== undefined && start - lastEnd > 5) {
        missingMs += start - lastEnd;
      }
      lastEnd = end;
      // A chunk can only be read once it ended: the fastest one bounds the clock offset.
      clockOffset = Math.max(clockOffset, end - readAt);
      if (onset !== undefined) {
        stamps.push(onset);
        arrivals.push(readAt);
      }
    } finally {
      value.close();
    }
  };
  const pump = async () => {
    // Inspected in order, but without holding up the next read: a read that waited for the
    // inspection of the chunk before would come late, and a received frame's read is its arrival.
    let inspected = Promise.resolve();
    while (!stopped) {
      const { value, done } = await reader.read();
      if (done || !value) break;
      const readAt = performance.now();
      chunks++;
      inspected = inspected.then(() => handle(value, readAt));
    }
    await inspected;
  };
  pump().catch((error: unknown) => console.error(`watch of the ${track.kind} track failed`, error));
  return {
    onsets: () => (clock === 'arrival' ? [...arrivals] : stamps.map((t) => t - clockOffset)),
    stamps: () => [...stamps],
    clockOffset: () => clockOffset,
    seen: () => chunks,
    missingMs: () => missingMs,
    stop() {
      stopped = true;
      clone.stop();
    },
  };
}

/** Mean brightness of a 32x32 patch in the middle: luma for YUV frames, the brightest channel for RGB ones. */
async function brightness(frame: VideoFrame): Promise<number> {
  const size = 32;
  const rect = {
    x: Math.floor((frame.codedWidth - size) / 4) * 2,
    y: Math.floor((frame.codedHeight - size) / 4) * 2,
    width: size,
    height: size,
  };
  const buffer = new Uint8Array(frame.allocationSize({ rect }));
  await frame.copyTo(buffer, { rect });
  let sum = 0;
  if (frame.format?.startsWith('I4') || frame.format?.startsWith('NV12')) {
    // Planar: the luma plane comes first.
    for (let i = 0; i < size * size; i++) sum += buffer[i] as number;
  } else {
    for (let i = 0; i < size * size * 4; i += 4) {
      sum += Math.max(buffer[i] as number, buffer[i + 1] as number, buffer[i + 2] as number);
    }
  }
  return sum / (size * size);
}

/** A local frame's timestamp is its capture time; a received one is `shown` when it arrives. */
export function watchFlashes(track: MediaStreamTrack, { shown = false } = {}): Watch {
  let dark = QUIET_FRAMES;
  const inspect = async (chunk: VideoFrame | AudioData) => {
    const at = chunk.timestamp / 1000;
    const bright = (await brightness(chunk as VideoFrame)) > BRIGHT;
    const onset = bright && dark >= QUIET_FRAMES;
    dark = bright ? 0 : dark + 1;
    return onset ? { start: at, end: at, onset: at } : { start: at, end: at };
  };
  return watch(track, inspect, shown ? 'arrival' : 'stamp');
}

export function watchBeeps(track: MediaStreamTrack): Watch {
  // Chromium delivers a remote audio track only while a media element plays it (muted is enough).
  const element = new Audio();
  element.muted = true;
  element.srcObject = new MediaStream([track]);
  element.play().catch((error: unknown) => console.error('beep watch: audio did not play', error));
  let quietSince = Number.NEGATIVE_INFINITY;
  let loud = false;
  const inner = watch(track, async (chunk) => {
    const audio = chunk as AudioData;
    // Buffer timestamps jitter by ±25 ms (measured), so one beep says little; the tests use the
    // median over all of them. Counting samples instead fails: a busy page drops buffers.
    const start = audio.timestamp / 1000;
    const samples = new Float32Array(audio.numberOfFrames);
    audio.copyTo(samples, { planeIndex: 0, format: 'f32-planar' });
    let onset: number | undefined;
    samples.forEach((sample, i) => {
      const t = start + (i * 1000) / audio.sampleRate;
      if (Math.abs(sample) > LOUD) {
        if (!loud && t - quietSince >= QUIET_MS && onset === undefined) onset = t;
        loud = true;
      } else if (loud) {
        loud = false;
        quietSince = t;
      }
    });
    return {
      start,
      end: start + (audio.numberOfFrames * 1000) / audio.sampleRate,
      ...(onset === undefined ? {} : { onset }),
    };
  });
  return {
    ...inner,
    stop() {
      inner.stop();
      element.srcObject = null;
    },
  };
}

/** One context per page, shared by every synthetic microphone. */
let shared: AudioContext | undefined;
export function audioContext(): AudioContext {
  shared ??= new AudioContext({ sampleRate: 48_000 });
  return shared;
}
