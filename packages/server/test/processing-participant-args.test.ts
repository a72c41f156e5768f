import { describe, expect, it } from 'vitest';
import type { ParticipantArgsInput } from '../src/processing/args/participant.js';
import { COPY_TOLERANCE_SECONDS, copySource, participantArgs } from '../src/processing/args/participant.js';

const G = ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-y'];

const base = (overrides: Partial<ParticipantArgsInput>): ParticipantArgsInput => ({
  videos: [],
  audios: [],
  duration: 6,
  output: '/w/participants/p.webm',
  format: 'webm',
  videoCodec: 'vp8',
  audioCodec: 'opus',
  videoBox: { width: 640, height: 360, fps: 30 },
  ...overrides,
});

const valueAfter = (args: string[], flag: string) => args[args.indexOf(flag) + 1] ?? '';

describe('copySource', () => {
  const track = { path: '/t.mkv', codec: 'vp8', offset: 0.1, duration: 5.8 };

  it('copies one track that covers the timeline within the tolerance', () => {
    expect(copySource([track], 6, 'webm', 'vp8')).toBe(track);
    expect(COPY_TOLERANCE_SECONDS).toBe(0.25);
  });

  it('refuses a late start, an early end, two tracks and a codec the job did not ask for', () => {
    expect(copySource([{ ...track, offset: 0.3, duration: 5.7 }], 6, 'webm', 'vp8')).toBeUndefined();
    expect(copySource([{ ...track, duration: 5.5 }], 6, 'webm', 'vp8')).toBeUndefined();
    expect(copySource([track, { ...track, offset: 3 }], 6, 'webm', 'vp8')).toBeUndefined();
    expect(copySource([track], 6, 'mp4', 'h264')).toBeUndefined();
    expect(copySource([], 6, 'webm', 'vp8')).toBeUndefined();
  });

  it('refuses sound whose timestamps stray from it past their jitter', () => {
    const sound = { path: '/a.mkv', codec: 'opus', offset: 0, duration: 6 };
    expect(copySource([{ ...sound, timestampSpreadMs: 9 }], 6, 'webm', 'opus')).toBeDefined();
    expect(copySource([{ ...sound, timestampSpreadMs: 30 }], 6, 'webm', 'opus')).toBeUndefined();
  });
});

describe('participantArgs', () => {
  it('copies VP8 + Opus into WebM when each covers the timeline, shifting the late one', () => {
    expect(
      participantArgs(
        base({
          videos: [{ path: '/w/tracks/av.mkv', offset: 0.2, duration: 5.8, codec: 'vp8' }],
          audios: [{ path: '/w/tracks/aa.mkv', offset: 0, duration: 6, codec: 'opus', channels: 1 }],
          videoCodec: 'vp9',
        }),
      ),
    ).toEqual([
      ...G,
      ...['-itsoffset', '0.200', '-i', '/w/tracks/av.mkv', '-i', '/w/tracks/aa.mkv'],
      ...['-map', '0:v:0', '-c:v', 'copy', '-map', '1:a:0', '-c:a', 'copy'],
      ...['-f', 'webm', '/w/participants/p.webm'],
    ]);
  });

  it('puts a late joiner on the timeline: black and silence before, each track at its offset', () => {
    const args = participantArgs(
      base({
        videos: [{ path: '/w/tracks/bv.mkv', offset: 2.6, duration: 2.2, codec: 'vp8' }],
        audios: [{ path: '/w/tracks/ba.mkv', offset: 2, duration: 3, codec: 'opus', channels: 1 }],
      }),
    );
    expect(args.slice(0, 12)).toEqual([
      ...G,
      ...['-reinit_filter', '0', '-i', '/w/tracks/bv.mkv', '-i', '/w/tracks/ba.mkv'],
      '-filter_complex',
    ]);
    expect(valueAfter(args, '-filter_complex')).toBe(
      [
        'color=c=black:s=640x360:r=30:d=6.000[vbase]',
        '[0:v]setpts=PTS-STARTPTS+2.600/TB,fps=30,' +
          'scale=640:360:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[pv0]',
        '[vbase][pv0]overlay=x=(main_w-overlay_w)/2:y=(main_h-overlay_h)/2:eval=frame:eof_action=pass[pvo0]',
        '[pvo0]format=yuv420p[vout]',
        '[1:a]aresample=48000:min_comp=0.001:max_soft_comp=0.02:min_hard_comp=0.02:flags=res,' +
          'aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=mono,adelay=delays=96312S:all=1[pa0]',
        '[pa0]apad=whole_dur=6.000[aout]',
      ].join(';'),
    );
    expect(args.slice(12)).toEqual([
      expect.any(String),
      ...['-map', '[vout]', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8'],
      ...['-b:v', '550k', '-g', '60'],
      ...['-map', '[aout]', '-c:a', 'libopus', '-b:a', '128k'],
      ...['-t', '6.000', '-f', 'webm', '/w/participants/p.webm'],
    ]);
  });

  it('keeps both spans of a rejoin and mixes every audio track at full level', () => {
    const args = participantArgs(
      base({
        videos: [
          { path: '/v1.mkv', offset: 0, duration: 1.5, codec: 'vp8' },
          { path: '/v2.mkv', offset: 3, duration: 2, codec: 'vp8' },
        ],
        audios: [
          { path: '/a1.mkv', offset: 0, duration: 1.5, codec: 'opus', channels: 1 },
          { path: '/a2.mkv', offset: 3, duration: 2, codec: 'opus', channels: 2 },
        ],
      }),
    );
    const graph = valueAfter(args, '-filter_complex');
    expect(graph).toContain('[0:v]setpts=PTS-STARTPTS+0.000/TB');
    expect(graph).toContain('[1:v]setpts=PTS-STARTPTS+3.000/TB');
    expect(graph).toContain('[vbase][pv0]overlay');
    expect(graph).toContain('[pvo0][pv1]overlay');
    // One stereo track makes the file stereo; the mono one is spread to both sides.
    expect(graph).toContain(
      '[2:a]aresample=48000:min_comp=0.001:max_soft_comp=0.02:min_hard_comp=0.02:flags=res,pan=stereo|c0=c0|c1=c0,',
    );
    expect(graph).toContain(
      '[3:a]aresample=48000:min_comp=0.001:max_soft_comp=0.02:min_hard_comp=0.02:flags=res,aformat=',
    );
    expect(graph).toContain('adelay=delays=144312S:all=1[pa1]');
    expect(graph).toContain(
      '[pa0][pa1]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,apad=whole_dur=6.000[aout]',
    );
    expect(args.filter((a) => a === '-reinit_filter')).toHaveLength(2);
  });

  it('copies the audio while transcoding the video when only the audio covers the timeline', () => {
    const args = participantArgs(
      base({
        videos: [{ path: '/v.mkv', offset: 0.8, duration: 5.2, codec: 'vp8' }],
        audios: [{ path: '/a.mkv', offset: 0.1, duration: 5.9, codec: 'opus', channels: 1 }],
      }),
    );
    expect(args.join(' ')).toContain('-reinit_filter 0 -i /v.mkv -itsoffset 0.100 -i /a.mkv');
    expect(args.join(' ')).toContain('-map [vout] -c:v libvpx');
    expect(args.join(' ')).toContain('-map 1:a:0 -c:a copy');
    expect(valueAfter(args, '-filter_complex')).not.toContain(':a]');
  });

  it('transcodes to H.264/AAC for MP4 with faststart', () => {
    const args = participantArgs(
      base({
        videos: [{ path: '/v.mkv', offset: 0, duration: 6, codec: 'vp8' }],
        audios: [{ path: '/a.mkv', offset: 0, duration: 6, codec: 'opus', channels: 1 }],
        format: 'mp4',
        videoCodec: 'h264',
        audioCodec: 'aac',
        output: '/w/participants/p.mp4',
      }),
    );
    expect(args.join(' ')).toContain('-c:v libx264 -preset veryfast -crf 23 -g 60');
    expect(args.join(' ')).toContain('-map [aout] -c:a aac -b:a 128k');
    expect(args.slice(-6)).toEqual([
      '6.000',
      '-movflags',
      '+faststart',
      '-f',
      'mp4',
      '/w/participants/p.mp4',
    ]);
  });

  it('takes a hardware encoder: device before the inputs, upload at the end of the chain', () => {
    const args = participantArgs(
      base({
        videos: [{ path: '/v.mkv', offset: 1, duration: 5, codec: 'vp8' }],
        encoder: {
          inputArgs: ['-vaapi_device', '/dev/dri/renderD128'],
          filterSuffix: 'format=nv12,hwupload',
          outputArgs: ['-c:v', 'vp8_vaapi', '-b:v', '550k'],
        },
      }),
    );
    expect(args.slice(0, 7)).toEqual([...G, '-vaapi_device', '/dev/dri/renderD128']);
    expect(valueAfter(args, '-filter_complex')).toMatch(/format=yuv420p,format=nv12,hwupload\[vout\]$/);
    expect(args.join(' ')).toContain('-map [vout] -c:v vp8_vaapi -b:v 550k -t 6.000');
    expect(args).not.toContain('libvpx');
  });

  it('writes audio-only and video-only participants, and refuses one without tracks', () => {
    const audioOnly = participantArgs(
      base({ audios: [{ path: '/a.mkv', offset: 0, duration: 6, codec: 'opus', channels: 1 }] }),
    );
    expect(audioOnly).toEqual([
      ...G,
      ...['-i', '/a.mkv', '-map', '0:a:0', '-c:a', 'copy', '-f', 'webm', '/w/participants/p.webm'],
    ]);
    // H.264 recorded in WebM cannot stay in WebM.
    const videoOnly = participantArgs(
      base({ videos: [{ path: '/v.mkv', offset: 0, duration: 6, codec: 'h264' }] }),
    );
    expect(videoOnly).toContain('libvpx');
    expect(videoOnly.join(' ')).not.toContain('[aout]');
    expect(() => participantArgs(base({}))).toThrow(/at least one track/);
  });
});
