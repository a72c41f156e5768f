/**
 * Launch options for Debian's Chromium (see PLATFORM.md) with the fake camera and microphone
 * fed from files, shared by the e2e config and the browser benches. Without the
 * background-networking flags Chromium keeps dialling hosts this network refuses; without
 * `fps=30` the fake camera runs at 20 fps.
 */
export function fakeMediaChromium(camera: string, microphone: string) {
  return {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream=fps=30',
      `--use-file-for-fake-video-capture=${camera}`,
      `--use-file-for-fake-audio-capture=${microphone}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  };
}
