import { CallRecorder } from '@callrec/sdk';
import { RECORDING_EVENT_NAMES } from '@callrec/sdk/protocol';
import { createSession } from './backend.js';
import { type SimulatedCall, startSimulatedCall } from './call.js';
import { $, el } from './format.js';
import { History } from './history.js';
import { ProgressTable } from './progress.js';
import { recoverUnfinished } from './recovery.js';
import { hideResult, showResult } from './result.js';

// `?server=<url>` points the page at another backend (the e2e runs one per storage provider);
// `?videoBitsPerSecond=<n>` overrides the SDK's default video bitrate.
const params = new URLSearchParams(location.search);
const serverUrl: string =
  params.get('server') ?? import.meta.env.VITE_CALLREC_SERVER ?? 'http://127.0.0.1:8787';
const videoBitsPerSecond = Number(params.get('videoBitsPerSecond')) || undefined;

const recordButton = $<HTMLButtonElement>('record');
const stopButton = $<HTMLButtonElement>('stop');
const progress = new ProgressTable();
const history = new History(serverUrl, showResult, (id) => {
  if ($('result').dataset.recordingId === id) hideResult();
});
let call: SimulatedCall | undefined;
let recorder: CallRecorder | undefined;
let ticker: ReturnType<typeof setInterval> | undefined;

function setStatus(state: string, text: string): void {
  const status = $('status');
  status.dataset.state = state;
  status.textContent = text;
}

function log(name: string, payload: unknown): void {
  const detail = JSON.stringify(payload, (key, value) => (key === 'recordingId' ? undefined : value));
  const item = el('li', { 'data-event': name }, el('b', {}, name), ` ${detail}`);
  $('event-log').prepend(item);
}

function fail(step: string, error: unknown): void {
  console.error(step, error);
  setStatus('failed', `${step} failed: ${error instanceof Error ? error.message : String(error)}`);
  clearInterval(ticker);
  stopButton.disabled = true;
  recordButton.disabled = call === undefined;
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
  await recorder.start({ roomId: session.roomId });
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
  stopButton.disabled = false;
  await history.refresh();
}

async function stop(rec: CallRecorder): Promise<void> {
  stopButton.disabled = true;
  clearInterval(ticker);
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
}

init().catch((error) => fail('Camera and microphone', error));
// Recordings an earlier visit left unfinished (reload, crash) are finished first, then listed.
recoverUnfinished(serverUrl)
  .catch((error) => console.error('Recovering unfinished recordings', error))
  .finally(() => void history.refresh());
