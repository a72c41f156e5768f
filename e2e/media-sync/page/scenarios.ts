import type * as Sdk from '../../../packages/sdk/src/index.js';
import { base64, openCamera } from './camera.js';
import { type Watch, watchBeeps, watchFlashes } from './live.js';
import { loopback } from './loopback.js';
import { synthesize } from './synth.js';

/**
 * What the tests run inside a page. Live times (capture times, live.ts) leave the page as epoch
 * ms of the page's own clock (`Date.now()`, skewed where a test skews it).
 */

/** The SDK, as the page's index loads it. */
const sdk = (): typeof Sdk => (window as unknown as { callrec: typeof Sdk }).callrec;

export interface LiveEvents {
  /** Capture times of the flashes and beeps, epoch ms of the page's own clock. */
  flashes: number[];
  beeps: number[];
  /** Video frames and audio buffers the watches read: zero means a watch never ran. */
  frames: number;
  audioBuffers: number;
  /** ms of sound missing between the audio buffers read (see `Watch.missingMs`). */
  audioMissingMs: number;
}

interface Watches {
  flashes: Watch;
  beeps: Watch;
}

function collect({ flashes, beeps }: Watches): LiveEvents {
  flashes.stop();
  beeps.stop();
  const origin = Date.now() - performance.now();
  return {
    flashes: flashes.onsets().map((t) => t + origin),
    beeps: beeps.onsets().map((t) => t + origin),
    frames: flashes.seen(),
    audioBuffers: beeps.seen(),
    audioMissingMs: beeps.missingMs(),
  };
}

function watch(video: MediaStreamTrack, audio: MediaStreamTrack): Watches {
  return { flashes: watchFlashes(video), beeps: watchBeeps(audio) };
}

export interface SessionOptions {
  serverUrl: string;
  token: string;
  roomId: string;
}

/** 640x360 composites: the cameras' own size, and a quarter of the default's encoding work on 2 cores. */
const startOptions = (options: SessionOptions) => ({
  roomId: options.roomId,
  width: 640,
  height: 360,
  fps: 30,
});

function tracksOf(stream: MediaStream): { video: MediaStreamTrack; audio: MediaStreamTrack } {
  const [video] = stream.getVideoTracks();
  const [audio] = stream.getAudioTracks();
  if (!video || !audio) throw new Error('a stream without video or audio');
  return { video, audio };
}

/** Instants (ms, performance.now()) of a pattern that loops every `loopMs` from `start`, for `forMs`. */
export function loopedInstants(
  start: number,
  pattern: readonly number[],
  loopMs: number,
  forMs: number,
): number[] {
  const instants: number[] = [];
  for (let loop = start; loop < start + forMs; loop += loopMs)
    for (const at of pattern) instants.push(loop + at);
  return instants;
}

const REMOTE_JOINS_AFTER_MS = 300;

/** One MediaRecorder for a participant's audio and video together: Chromium's own A/V sync, the reference. */
export interface Reference {
  /** The recorder's `start` event, epoch ms of the page's clock. */
  startedAt: number;
  /** The WebM, base64. */
  webm: string;
}

export interface CameraCall {
  recorder: Sdk.CallRecorder;
  /**
   * Stops the recorder (the recording too, unless `endRecording` is false) and the references:
   * the local participant's file, and the remote participant's flashes and beeps as the page got them.
   */
  finish(stop?: { endRecording?: boolean }): Promise<{ local?: Reference; remote?: LiveEvents }>;
}

/**
 * Records `tracks` into one file, muxed by Chromium with their capture timestamps. Audio is PCM:
 * Chromium stamps each 60 ms Opus packet with the capture time of its last 10 ms buffer, not its
 * first, so an Opus reference puts audio 39-41 ms late against its own video (measured on 8
 * recordings; about 0 with PCM). Its start is
 * taken at `start()`: the file's time 0 is then (measured within ~10 ms), while the `start` event
 * comes 60–400 ms later, and for a remote video track sometimes not until much later.
 */
function startReference(tracks: MediaStreamTrack[]): () => Promise<Reference> {
  const recorder = new MediaRecorder(new MediaStream(tracks), { mimeType: 'video/webm;codecs=vp8,pcm' });
  const chunks: Blob[] = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const startedAt = Date.now();
  recorder.start(1000);
  return async () => {
    const stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve));
    recorder.stop();
    await stopped;
    return { startedAt, webm: await base64(new Blob(chunks)) };
  };
}

/**
 * The fake camera and microphone recorded as participant `local`. With `remote`, also a remote
 * participant `remote`, received through a loopback peer connection: the camera's video and a
 * synthetic microphone beeping the same pattern at `remote.beepHz` (so the composite's mix keeps
 * the two apart), recorded as the receiving page gets them.
 *
 * The references: the local participant is also recorded into one A/V file by a plain
 * MediaRecorder, which muxes by capture time. The remote one is what the page was given: each
 * flash when its frame arrived, each beep at its playout (its timestamp). A plain recorder of the
 * received tracks is no reference: it writes the sender's capture times for video once RTCP
 * sender reports arrive and playout times for audio, and its muxer holds video frames back to
 * the audio's 10 ms steps.
 */
export async function startCameraCall(
  options: SessionOptions & {
    remote?: { beepHz: number; patternMs: readonly number[]; loopMs: number; videoDelayMs?: number };
    /** Default true. */
    references?: boolean;
  },
): Promise<CameraCall> {
  // Each step reports in the console: a call that never starts says where it stuck.
  const step = (what: string) => console.debug(`camera call: ${what}`);
  const local = tracksOf(await openCamera());
  step('camera open');
  let remote: { video: MediaStreamTrack; audio: MediaStreamTrack; close(): void } | undefined;
  if (options.remote) {
    const { beepHz, patternMs, loopMs, videoDelayMs } = options.remote;
    const microphone = synthesize({ beepHz, background: '#202020' });
    const { audio } = tracksOf(microphone.stream);
    for (const track of microphone.stream.getVideoTracks()) track.stop();
    microphone.schedule(loopedInstants(performance.now() + 200, patternMs, loopMs, 300_000));
    const link = await loopback([local.video, audio], videoDelayMs === undefined ? {} : { videoDelayMs });
    step('loopback connected');
    remote = {
      ...tracksOf(new MediaStream(link.remote)),
      close() {
        link.close();
        microphone.stop();
      },
    };
  }
  const withReferences = options.references !== false;
  const localReference = withReferences ? startReference([local.video, local.audio]) : undefined;
  const shown =
    withReferences && remote
      ? { flashes: watchFlashes(remote.video, { shown: true }), beeps: watchBeeps(remote.audio) }
      : undefined;
  if (withReferences) step('references started');
  const recorder = new (sdk().CallRecorder)({ serverUrl: options.serverUrl, token: options.token });
  await recorder.start(startOptions(options));
  step('recording started');
  recorder.addTrack(local.audio, { participantId: 'local', displayName: 'Local' });
  recorder.addTrack(local.video, { participantId: 'local', displayName: 'Local' });
  if (remote) {
    // The remote participant joins a little later, so the local one is first and takes the
    // composite's left cell (a race of a millisecond otherwise).
    await new Promise((resolve) => setTimeout(resolve, REMOTE_JOINS_AFTER_MS));
    recorder.addTrack(remote.audio, { participantId: 'remote', displayName: 'Remote' });
    recorder.addTrack(remote.video, { participantId: 'remote', displayName: 'Remote' });
  }
  return {
    recorder,
    async finish(stop = {}) {
      await recorder.stop(stop);
      const localFile = await localReference?.();
      const remoteEvents = shown ? collect(shown) : undefined;
      remote?.close();
      return {
        ...(localFile ? { local: localFile } : {}),
        ...(remoteEvents ? { remote: remoteEvents } : {}),
      };
    },
  };
}

export interface SyntheticParticipant {
  recorder: Sdk.CallRecorder;
  finish(stop?: { endRecording?: boolean }): Promise<LiveEvents>;
}

/**
 * A participant whose camera and microphone are made in the page (synth.ts), flashing and beeping
 * at `instants`, given as epoch ms of this page's own clock.
 */
export async function startSyntheticParticipant(
  options: SessionOptions & {
    participantId: string;
    beepHz: number;
    /** CSS colours of the picture between flashes and during them. */
    background: string;
    flash: string;
    instants: readonly number[];
  },
): Promise<SyntheticParticipant> {
  const { beepHz, background, flash } = options;
  const synth = synthesize({ beepHz, background, flash });
  const origin = Date.now() - performance.now();
  synth.schedule(options.instants.map((at) => at - origin));
  const { video, audio } = tracksOf(synth.stream);
  const watches = watch(video, audio);
  const recorder = new (sdk().CallRecorder)({ serverUrl: options.serverUrl, token: options.token });
  await recorder.start(startOptions(options));
  const named = { participantId: options.participantId, displayName: options.participantId };
  recorder.addTrack(audio, named);
  recorder.addTrack(video, named);
  return {
    recorder,
    async finish(stop = {}) {
      await recorder.stop(stop);
      const events = collect(watches);
      synth.stop();
      return events;
    },
  };
}
