/** The fake camera and microphone at the fixtures' size and rate, with no processing on the audio. */
export function openCamera(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 360, frameRate: 30 },
    // Echo cancellation, noise suppression and gain control would attenuate and smear the beeps.
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
}

/** Records `stream` (audio and video together) with one MediaRecorder for `ms`; one muxer, one clock. */
export async function recordTogether(stream: MediaStream, ms: number): Promise<Blob> {
  const recorder = new MediaRecorder(stream, { mimeType: 'video/webm;codecs=vp8,opus' });
  const chunks: Blob[] = [];
  recorder.ondataavailable = (event) => chunks.push(event.data);
  const stopped = new Promise((resolve) => recorder.addEventListener('stop', resolve));
  recorder.start(1000);
  await new Promise((resolve) => setTimeout(resolve, ms));
  recorder.stop();
  await stopped;
  return new Blob(chunks, { type: recorder.mimeType });
}

/** A blob's bytes as base64, for page.evaluate to hand back. */
export async function base64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
