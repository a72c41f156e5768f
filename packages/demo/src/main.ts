import { CallRecorder, type StartOptions } from '@callrec/sdk';
import { type CompositeLayout, RECORDING_EVENT_NAMES } from '@callrec/sdk/protocol';
import { createSession } from './backend.js';
import { type SimulatedCall, startSimulatedCall } from './call.js';
import { $, el } from './format.js';
import { History } from './history.js';
import { ProgressTable } from './progress.js';
import { recoverUnfinished } from './recovery.js';
import { hideResult, showResult } from './result.js';

// `?server=<url>` points the page at another backend (the e2e runs one per storage provider);
// `?videoBitsPerSecond=<n>` overrides the SDK's default video bitrate; `?layout=grid|speaker` and
// `?labels=0|1` preset the composite controls. `?autostart=<s>` clicks Record that many seconds
// after the call is up and `?stopAfter=<min>` clicks Stop that long into the recording: a long
// recording with no driver attached (bench/tab-memory.ts: Playwright distorted the tab's memory).
const params = new URLSearchParams(location.search);
const serverUrl: string =
  params.get('server') ?? import.meta.env.VITE_CALLREC_SERVER ?? 'http://127.0.0.1:8787';
const videoBitsPerSecond = Number(params.get('videoBitsPerSecond')) || undefined;

const recordButton = $<HTMLButtonElement>('record');
const stopButton = $<HTMLButtonElement>('stop');
const pauseButton = $<HTMLButtonElement>('pause');
const layoutSelect = $<HTMLSelectElement>('layout');
const labelsBox = $<HTMLInputElement>('labels');
layoutSelect.value = params.get('layout') ?? '';
// Indeterminate: the recording takes the server's default (RECORDING_LABELS).
labelsBox.checked = params.get('labels') === '1';
labelsBox.indeterminate = !params.has('labels');
const progress = new ProgressTable();
const history = new History(serverUrl, showResult, (id) => {
  if ($('result').dataset.recordingId === id) hideResult();
});
let call: SimulatedCall | undefined;
let recorder: CallRecorder | undefined;
let ticker: ReturnType<typeof setInterval> | undefined;
let autoStop: ReturnType<typeof setTimeout> | undefined;

function setStatus(state: string, text: string): void {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
}

/** Events that repeat for as long as the call lasts keep one line each, so a long call's log stays short. */
const REPEATING = new Set(['recordingProgress', 'clockSynced']);

function log(name: string, payload: unknown): void {
  const detail = JSON.stringify(payload, (key, value) => (key === 'recordingId' ? undefined : value));
  const item = el('li', { 'data-event': name }, el('b', {}, name), ` ${detail}`);
  if (REPEATING.has(name)) $('event-log').querySelector(`[data-event="${name}"]`)?.remove();
  $('event-log').prepend(item);
}

function fail(step: string, error: unknown): void {
  console.error(step, error);
  setStatus('failed', `${step} failed: ${error instanceof Error ? error.message : String(error)}`);
  clearInterval(ticker);
  stopButton.disabled = true;
  pauseButton.disabled = true;
  recordButton.disabled = call === undefined;
}

/** The composite settings chosen in the page; unset ones take the server's defaults. */
function compositeOptions(): Omit<StartOptions, 'roomId'> {
  return {
    ...(layoutSelect.value ? { layout: layoutSelect.value as CompositeLayout } : {}),
    ...(labelsBox.indeterminate ? {} : { labels: labelsBox.checked }),
  };
}

function watch(rec: CallRecorder): void {
  for (const name of RECORDING_EVENT_NAMES) rec.on(name, (payload) => log(name, payload));
  rec.on('recordingProcessing', () => setStatus('processing', 'Processing: composing the call…'));
  rec.on('thumbnailsGenerated', (e) => setStatus('processing', `Processing: ${e.count} thumbnails made…`));
  rec.on('recordingUploaded', (e) => setStatus('processing', `Processing: outputs stored (${e.provider})…`));
  rec.on('recordingFailed', (e) =>
    setStatus('failed', `Recording failed: ${e.error.code}: ${e.error.message}`),
  );
  rec.on('trackAdded', (e) => progress.update({ ...e, state: 'recording' }));
  rec.on('trackProgress', (e) => progress.update(e));
  rec.on('trackEnded', (e) => progress.update({ ...e, state: 'ended' }));
  rec.on('trackFailed', (e) => progress.update({ ...e, state: `failed: ${e.error.code}` }));
  for (const name of ['recordingPaused', 'recordingResumed', 'clockSynced', 'clockSyncFailed'] as const) {
    rec.on(name, (payload) => log(name, payload));
  }
  rec.on('clockSyncFailed', (e) =>
    console.warn(`callrec demo: ${e.message}; offset ${e.offsetMs} ms in use`),
  );
}

async function record(active: SimulatedCall): Promise<void> {
  recordButton.disabled = true;
  hideResult();
  progress.clear();
  $('event-log').replaceChildren();
  setStatus('starting', 'Starting the recording…');
  await active.resumeAudio();
  const session = await createSession(serverUrl);
  const idLine = $('recording-id');
  idLine.textContent = `Recording ${session.recordingId} (room ${session.roomId})`;
  idLine.dataset.recordingId = session.recordingId;
  recorder = new CallRecorder({ serverUrl, token: session.token, videoBitsPerSecond });
  watch(recorder);
  await recorder.start({ roomId: session.roomId, ...compositeOptions() });
  for (const track of active.local.getTracks()) {
    recorder.addTrack(track, { participantId: 'local', displayName: 'You' });
  }
  for (const track of active.remote.getTracks()) {
    recorder.addTrack(track, { participantId: 'remote', displayName: 'Remote guest' });
  }
  const started = Date.now();
  ticker = setInterval(() => {
    $('elapsed').textContent = `${Math.floor((Date.now() - started) / 1000)} s`;
  }, 250);
  setStatus('recording', 'Recording');
  const stopAfter = Number(params.get('stopAfter'));
  if (stopAfter > 0) autoStop = setTimeout(() => stopButton.click(), stopAfter * 60_000);
  stopButton.disabled = false;
  pauseButton.textContent = 'Pause';
  pauseButton.disabled = false;
  await history.refresh();
}

/** Pause leaves the span out of every output; resume sends it to the server. */
async function togglePause(rec: CallRecorder): Promise<void> {
  pauseButton.disabled = true;
  if (rec.state === 'paused') {
    await rec.resume();
    pauseButton.textContent = 'Pause';
    setStatus('recording', 'Recording');
  } else {
    await rec.pause();
    pauseButton.textContent = 'Resume';
    setStatus('paused', 'Paused');
  }
  pauseButton.disabled = rec.state !== 'recording' && rec.state !== 'paused';
}

async function stop(rec: CallRecorder): Promise<void> {
  stopButton.disabled = true;
  pauseButton.disabled = true;
  clearInterval(ticker);
  clearTimeout(autoStop);
  setStatus('stopping', 'Finishing uploads…');
  await rec.stop();
  // The SDK's final count and CRC-32 of each track: what storage must hold.
  for (const track of rec.tracks) progress.update(track);
  setStatus('processing', 'Processing…');
  const info = await rec.waitForCompletion();
  setStatus('completed', `Completed: ${info.duration?.toFixed(1) ?? '?'} s`);
  showResult(info);
  recordButton.disabled = false;
  await history.refresh();
}

recordButton.addEventListener('click', () => {
  if (call) record(call).catch((error) => fail('Record', error));
});
pauseButton.addEventListener('click', () => {
  if (recorder) togglePause(recorder).catch((error) => fail('Pause', error));
});
stopButton.addEventListener('click', () => {
  if (recorder) stop(recorder).catch((error) => fail('Stop', error));
});

async function init(): Promise<void> {
  call = await startSimulatedCall();
  $<HTMLVideoElement>('local-video').srcObject = call.local;
  $<HTMLVideoElement>('remote-video').srcObject = call.remote;
  // Chromium records a remote audio track only while something plays it (muted is enough).
  const sink = el('audio', { 'data-testid': 'remote-audio', hidden: '' });
  sink.muted = true;
  sink.autoplay = true;
  sink.srcObject = new MediaStream(call.remote.getAudioTracks());
  document.body.append(sink);
  recordButton.disabled = false;
  setStatus('idle', 'Ready');
  if (params.has('autostart')) setTimeout(() => recordButton.click(), Number(params.get('autostart')) * 1000);
}

init().catch((error) => fail('Camera and microphone', error));
// Recordings an earlier visit left unfinished (reload, crash) are finished first, then listed.
recoverUnfinished(serverUrl)
  .catch((error) => console.error('Recovering unfinished recordings', error))
  .finally(() => void history.refresh());
