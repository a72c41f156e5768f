/** The fake camera and microphone at the fixtures' size and rate, with no processing on the audio. */
export function openCamera(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 360, frameRate: 30 },
    // Echo cancellation, noise suppression and gain control would attenuate and smear the beeps.
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
}

/** A blob's bytes as base64, for page.evaluate to hand back. */
export async function base64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
