/**
 * The "remote guest": an animated canvas and a tone, so the second participant looks and sounds
 * different from the local camera.
 */
export interface SyntheticSource {
  stream: MediaStream;
  /** Browsers start an AudioContext suspended until a user gesture; call this from one. */
  resume(): Promise<void>;
  stop(): void;
}

export function createSyntheticSource(width = 640, height = 360, fps = 30): SyntheticSource {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const g = canvas.getContext('2d');
  if (!g) throw new Error('canvas 2d context unavailable');
  const started = performance.now();
  const draw = () => {
    const t = (performance.now() - started) / 1000;
    g.fillStyle = `hsl(${(t * 24) % 360} 45% 28%)`;
    g.fillRect(0, 0, width, height);
    g.fillStyle = '#f5d76e';
    g.beginPath();
    g.arc(
      width / 2 + Math.cos(t * 1.3) * width * 0.35,
      height / 2 + Math.sin(t * 2.1) * height * 0.3,
      36,
      0,
      7,
    );
    g.fill();
    g.fillStyle = '#fff';
    g.font = 'bold 32px system-ui, sans-serif';
    g.fillText('Remote guest', 24, 52);
    g.font = '24px ui-monospace, monospace';
    g.fillText(`${t.toFixed(1)} s`, 24, height - 28);
  };
  // setInterval, not requestAnimationFrame: rAF stops in background tabs and the track would freeze.
  const timer = setInterval(draw, 1000 / fps);
  draw();

  const audio = new AudioContext();
  const tone = audio.createOscillator();
  tone.frequency.value = 523.25;
  const tremolo = audio.createOscillator();
  tremolo.frequency.value = 2;
  const depth = audio.createGain();
  depth.gain.value = 0.15;
  const level = audio.createGain();
  level.gain.value = 0.2;
  tremolo.connect(depth).connect(level.gain);
  const sink = audio.createMediaStreamDestination();
  tone.connect(level).connect(sink);
  tone.start();
  tremolo.start();

  const stream = new MediaStream([
    ...canvas.captureStream(fps).getVideoTracks(),
    ...sink.stream.getAudioTracks(),
  ]);
  return {
    stream,
    resume: () => audio.resume(),
    stop() {
      clearInterval(timer);
      for (const track of stream.getTracks()) track.stop();
      void audio.close();
    },
  };
}
