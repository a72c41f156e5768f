import { audioContext } from './live.js';

/**
 * A camera and a microphone made in the page: a canvas (dark `background`, a small moving square so
 * every frame differs, `flash` colour during a flash) captured at 30 fps, and a Web Audio oscillator at
 * `beepHz` gated on for each beep. Flashes and beeps are scheduled at `performance.now()` instants.
 */
export interface Synth {
  stream: MediaStream;
  /** A flash and a beep at each instant (ms, performance.now()). */
  schedule(instants: readonly number[]): void;
  stop(): void;
}

const FLASH_MS = 66;
const BEEP_S = 0.06;

export function synthesize({
  beepHz,
  background,
  flash = '#ffffff',
}: {
  beepHz: number;
  background: string;
  flash?: string;
}): Synth {
  const flashes: number[] = [];
  const video = flashingCanvas(background, flash, flashes);
  const context = audioContext();
  const oscillator = context.createOscillator();
  oscillator.frequency.value = beepHz;
  const gate = context.createGain();
  gate.gain.value = 0;
  const destination = context.createMediaStreamDestination();
  oscillator.connect(gate).connect(destination);
  oscillator.start();
  const audio = destination.stream.getAudioTracks()[0];
  if (!video || !audio) throw new Error('the synthetic camera or microphone has no track');

  return {
    stream: new MediaStream([video, audio]),
    schedule(instants) {
      // performance.now() → context time through the context's own clock reading, taken now.
      const offset = context.currentTime - performance.now() / 1000;
      for (const at of instants) {
        flashes.push(at);
        const start = at / 1000 + offset;
        if (start < context.currentTime) continue;
        gate.gain.setValueAtTime(0.5, start);
        gate.gain.setValueAtTime(0, start + BEEP_S);
      }
    },
    stop() {
      oscillator.stop();
      video.stop();
      audio.stop();
    },
  };
}

/** A 640x360 canvas track at 30 fps, `flash`-coloured from each instant in `flashes` for FLASH_MS; stops drawing when the track ends. */
function flashingCanvas(
  background: string,
  flash: string,
  flashes: readonly number[],
): MediaStreamTrack | undefined {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  const paint = canvas.getContext('2d');
  if (!paint) throw new Error('no 2d canvas context');
  const track = canvas.captureStream(30).getVideoTracks()[0];
  let frame = 0;
  const draw = () => {
    if (track?.readyState !== 'live') return;
    const now = performance.now();
    const flashing = flashes.some((at) => now >= at && now < at + FLASH_MS);
    paint.fillStyle = flashing ? flash : background;
    paint.fillRect(0, 0, 640, 360);
    // Something moves in every frame, so the encoder never sees a still picture.
    if (!flashing) {
      paint.fillStyle = '#808080';
      paint.fillRect((frame++ * 4) % 600, 20, 40, 40);
    }
    requestAnimationFrame(draw);
  };
  requestAnimationFrame(draw);
  return track;
}
