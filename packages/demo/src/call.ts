import { createSyntheticSource, type SyntheticSource } from './remote-source.js';

/** Raw microphone audio: the browser's processing attenuates and gates it (see PLATFORM.md). */
const MEDIA_CONSTRAINTS: MediaStreamConstraints = {
  video: { width: 640, height: 360, frameRate: 30 },
  audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false },
};

export interface SimulatedCall {
  local: MediaStream;
  /** What pc2 received from pc1: the tracks a real app would get from the other side. */
  remote: MediaStream;
  resumeAudio(): Promise<void>;
  hangUp(): void;
}

/** A two-party call with no second device: the remote side is a loopback pair of peer connections. */
export async function startSimulatedCall(): Promise<SimulatedCall> {
  const local = await navigator.mediaDevices.getUserMedia(MEDIA_CONSTRAINTS);
  const source = createSyntheticSource();
  const { pc1, pc2, remote } = await loopback(source);
  return {
    local,
    remote,
    resumeAudio: () => source.resume(),
    hangUp() {
      for (const track of [...local.getTracks(), ...remote.getTracks()]) track.stop();
      source.stop();
      pc1.close();
      pc2.close();
    },
  };
}

async function loopback(source: SyntheticSource) {
  const pc1 = new RTCPeerConnection();
  const pc2 = new RTCPeerConnection();
  const relay = (to: RTCPeerConnection) => (e: RTCPeerConnectionIceEvent) => {
    if (e.candidate) to.addIceCandidate(e.candidate).catch((err) => console.error('addIceCandidate', err));
  };
  pc1.onicecandidate = relay(pc2);
  pc2.onicecandidate = relay(pc1);
  const remote = new MediaStream();
  const received = new Promise<void>((resolve) => {
    pc2.ontrack = (e) => {
      remote.addTrack(e.track);
      if (remote.getTracks().length === source.stream.getTracks().length) resolve();
    };
  });
  for (const track of source.stream.getTracks()) {
    // 'detail' makes WebRTC keep 640x360 while the bandwidth estimate ramps up (drops frames instead).
    if (track.kind === 'video') track.contentHint = 'detail';
    pc1.addTrack(track, source.stream);
  }
  await pc1.setLocalDescription();
  await pc2.setRemoteDescription(pc1.localDescription as RTCSessionDescription);
  await pc2.setLocalDescription();
  await pc1.setRemoteDescription(pc2.localDescription as RTCSessionDescription);
  await received;
  return { pc1, pc2, remote };
}
