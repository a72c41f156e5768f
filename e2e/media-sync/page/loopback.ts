/**
 * Sends `tracks` through a pair of RTCPeerConnections inside the page and resolves with what the
 * receiving side gets: remote tracks, as in a call, without a second browser or a signalling server.
 */
export interface Loopback {
  remote: MediaStreamTrack[];
  close(): void;
}

/**
 * `videoDelayMs`: the received video's jitter buffer holds each frame this long (its
 * `jitterBufferTarget`), as a real network's jitter makes it: the delay Chromium's timestamps of
 * received video lose once RTCP sender reports arrive, and the recording must keep.
 */
export async function loopback(
  tracks: readonly MediaStreamTrack[],
  { videoDelayMs }: { videoDelayMs?: number } = {},
): Promise<Loopback> {
  const sender = new RTCPeerConnection();
  const receiver = new RTCPeerConnection();
  sender.onicecandidate = (e) => e.candidate && void receiver.addIceCandidate(e.candidate);
  receiver.onicecandidate = (e) => e.candidate && void sender.addIceCandidate(e.candidate);
  const stream = new MediaStream([...tracks]);
  for (const track of tracks) sender.addTrack(track, stream);
  const remote: MediaStreamTrack[] = [];
  const received = new Promise<void>((resolve) => {
    receiver.ontrack = (event) => {
      if (event.track.kind === 'video' && videoDelayMs !== undefined) {
        event.receiver.jitterBufferTarget = videoDelayMs;
      }
      remote.push(event.track);
      if (remote.length === tracks.length) resolve();
    };
  });
  await sender.setLocalDescription(await sender.createOffer());
  await receiver.setRemoteDescription(sender.localDescription as RTCSessionDescriptionInit);
  await receiver.setLocalDescription(await receiver.createAnswer());
  await sender.setRemoteDescription(receiver.localDescription as RTCSessionDescriptionInit);
  await received;
  return {
    remote,
    close() {
      sender.close();
      receiver.close();
    },
  };
}
