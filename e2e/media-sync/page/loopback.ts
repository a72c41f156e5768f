/**
 * Sends `tracks` through a pair of RTCPeerConnections inside the page and resolves with what the
 * receiving side gets: remote tracks, as in a call, without a second browser or a signalling server.
 */
export interface Loopback {
  remote: MediaStreamTrack[];
  close(): void;
}

export async function loopback(tracks: readonly MediaStreamTrack[]): Promise<Loopback> {
  const sender = new RTCPeerConnection();
  const receiver = new RTCPeerConnection();
  sender.onicecandidate = (e) => e.candidate && void receiver.addIceCandidate(e.candidate);
  receiver.onicecandidate = (e) => e.candidate && void sender.addIceCandidate(e.candidate);
  const stream = new MediaStream([...tracks]);
  for (const track of tracks) sender.addTrack(track, stream);
  const remote: MediaStreamTrack[] = [];
  const received = new Promise<void>((resolve) => {
    receiver.ontrack = (event) => {
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
