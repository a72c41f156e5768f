import { describe, expect, it } from 'vitest';
import {
  type CompositeArgsInput,
  compositeArgs,
  compositeFilterGraph,
  participantArgs,
  remuxArgs,
  seconds,
  thumbnailArgs,
  thumbnailHeight,
  thumbnailTimes,
} from '../src/processing/args/index.js';
import { canCopy, outputCodecsProblem, videoEncoderArgs } from '../src/processing/codecs.js';
import { gridLayout } from '../src/processing/layout.js';

const G = ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-y'];

/** Alice: audio at 0 s, video at 0.8 s. Bob joins at 2 s (audio), video at 2.6 s. */
const cells = gridLayout(2, 1280, 720).cells;
const twoParticipants: CompositeArgsInput = {
  videos: [
    { path: '/w/tracks/av.mkv', offset: 0.8, cell: cells[0] ?? { x: 0, y: 0, width: 0, height: 0 } },
    { path: '/w/tracks/bv.mkv', offset: 2.6, cell: cells[1] ?? { x: 0, y: 0, width: 0, height: 0 } },
  ],
  audios: [
    { path: '/w/tracks/aa.mkv', offset: 0, channels: 1 },
    { path: '/w/tracks/ba.mkv', offset: 2, channels: 2 },
  ],
  width: 1280,
  height: 720,
  fps: 30,
  duration: 5.7784,
  format: 'webm',
  videoCodec: 'vp8',
  audioCodec: 'opus',
  output: '/w/composite.webm',
};

describe('remuxArgs', () => {
  it('copies the track kind into Matroska', () => {
    expect(remuxArgs('/in/a.webm', '/w/tracks/aa.mkv', 'audio')).toEqual([
      ...G,
      '-i',
      '/in/a.webm',
      '-map',
      '0:a:0',
      '-c',
      'copy',
      '-f',
      'matroska',
      '/w/tracks/aa.mkv',
    ]);
    expect(remuxArgs('/in/v.webm', '/w/tracks/av.mkv', 'video')).toContain('0:v:0');
  });

  it('shifts a video track by its timing steps with one setts filter, and never an audio track', () => {
    const timing = [
      { atMs: 2571, shiftMs: 152 },
      { atMs: 11_040, shiftMs: 140 },
      { atMs: 12_000, shiftMs: 140 },
    ];
    const args = remuxArgs('/in/v.webm', '/w/tracks/v.mkv', 'video', timing);
    expect(args.slice(args.indexOf('-bsf:v'), args.indexOf('-bsf:v') + 2)).toEqual([
      '-bsf:v',
      'setts=ts=max(TS+((0.152)*gte(TS*TB\\,2.571)+(-0.012)*gte(TS*TB\\,11.040))/TB\\,PREV_OUTPTS)',
    ]);
    expect(remuxArgs('/in/a.webm', '/w/tracks/a.mkv', 'audio', timing)).not.toContain('-bsf:v');
    expect(remuxArgs('/in/v.webm', '/w/tracks/v.mkv', 'video', [{ atMs: 5, shiftMs: 0 }])).not.toContain(
      '-bsf:v',
    );
  });
});

describe('compositeArgs', () => {
  it('builds the exact arguments for a two-participant grid', () => {
    const graph = [
      'color=c=black:s=1280x720:r=30:d=5.778[base]',
      '[0:v]setpts=PTS-STARTPTS+0.800/TB,fps=30,' +
        'scale=640:720:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[v0]',
      '[base][v0]overlay=x=0+(640-overlay_w)/2:y=0+(720-overlay_h)/2:eval=frame:eof_action=pass[o0]',
      '[1:v]setpts=PTS-STARTPTS+2.600/TB,fps=30,' +
        'scale=640:720:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[v1]',
      '[o0][v1]overlay=x=640+(640-overlay_w)/2:y=0+(720-overlay_h)/2:eval=frame:eof_action=pass[o1]',
      '[o1]format=yuv420p[vout]',
      '[2:a]aresample=48000:min_comp=0.001:max_soft_comp=0.02:min_hard_comp=0.02:flags=res,pan=stereo|c0=c0|c1=c0,' +
        'aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,adelay=delays=312S:all=1[a0]',
      '[3:a]aresample=48000:min_comp=0.001:max_soft_comp=0.02:min_hard_comp=0.02:flags=res,' +
        'aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,adelay=delays=96312S:all=1[a1]',
      '[a0][a1]amix=inputs=2:duration=longest:dropout_transition=0:normalize=0,apad=whole_dur=5.778[aout]',
    ].join(';');
    expect(compositeFilterGraph(twoParticipants)).toBe(graph);
    expect(compositeArgs(twoParticipants)).toEqual([
      ...G,
      '-reinit_filter',
      '0',
      '-i',
      '/w/tracks/av.mkv',
      '-reinit_filter',
      '0',
      '-i',
      '/w/tracks/bv.mkv',
      '-i',
      '/w/tracks/aa.mkv',
      '-i',
      '/w/tracks/ba.mkv',
      '-filter_complex',
      graph,
      '-map',
      '[vout]',
      '-map',
      '[aout]',
      '-c:v',
      'libvpx',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-b:v',
      '2210k',
      '-g',
      '60',
      '-c:a',
      'libopus',
      '-b:a',
      '128k',
      '-t',
      '5.778',
      '-f',
      'webm',
      '/w/composite.webm',
    ]);
  });

  it('uses a silent track when nobody has audio and a bare base when nobody has video', () => {
    const graph = compositeFilterGraph({ ...twoParticipants, videos: [], audios: [] });
    expect(graph).toBe(
      'color=c=black:s=1280x720:r=30:d=5.778[base];[base]format=yuv420p[vout];' +
        'anullsrc=channel_layout=stereo:sample_rate=48000:d=5.778[aout]',
    );
  });

  it('adds faststart for mp4 and uses libx264 veryfast', () => {
    const args = compositeArgs({ ...twoParticipants, format: 'mp4', videoCodec: 'h264', audioCodec: 'aac' });
    expect(args.slice(-6)).toEqual(['5.778', '-movflags', '+faststart', '-f', 'mp4', '/w/composite.webm']);
    expect(args.join(' ')).toContain('-c:v libx264 -preset veryfast');
    expect(args.join(' ')).toContain('-c:a aac');
  });
});

describe('libvpx bitrate', () => {
  const bitrate = (args: string[]) => args[args.indexOf('-b:v') + 1];

  it.each(['vp8', 'vp9'] as const)('%s always carries an explicit -b:v', (codec) => {
    for (const [width, height, fps] of [
      [1280, 720, 30],
      [640, 360, 15],
      [160, 90, 5],
    ] as const) {
      expect(bitrate(videoEncoderArgs(codec, { width, height, fps }))).toMatch(/^\d+k$/);
    }
    const composite = compositeArgs({ ...twoParticipants, videoCodec: codec });
    expect(bitrate(composite)).toMatch(/^\d+k$/);
    const participant = participantArgs({
      videos: [{ path: '/v.mkv', offset: 0, duration: 5, codec: 'h264' }],
      audios: [],
      duration: 5,
      output: '/p.webm',
      format: 'webm',
      videoCodec: codec,
      audioCodec: 'opus',
      videoBox: { width: 1280, height: 720, fps: 30 },
    });
    expect(participant).toContain(codec === 'vp8' ? 'libvpx' : 'libvpx-vp9');
    expect(bitrate(participant)).toMatch(/^\d+k$/);
  });

  it('uses realtime settings and row-mt for VP9', () => {
    expect(videoEncoderArgs('vp9', { width: 1280, height: 720, fps: 30 })).toEqual([
      '-c:v',
      'libvpx-vp9',
      '-deadline',
      'realtime',
      '-cpu-used',
      '8',
      '-row-mt',
      '1',
      '-b:v',
      '1380k',
      '-g',
      '60',
    ]);
  });
});

describe('codec rules', () => {
  it('refuses combinations a container cannot carry', () => {
    expect(outputCodecsProblem('webm', 'vp8', 'opus')).toBeUndefined();
    expect(outputCodecsProblem('mp4', 'h264', 'aac')).toBeUndefined();
    expect(outputCodecsProblem('mp4', 'vp9', 'opus')).toBeUndefined();
    expect(outputCodecsProblem('mp4', 'vp8', 'aac')).toMatch(/mp4 cannot carry video codec vp8/);
    expect(outputCodecsProblem('webm', 'h264', 'opus')).toMatch(/webm cannot carry video codec h264/);
    expect(outputCodecsProblem('webm', 'vp8', 'aac')).toMatch(/webm cannot carry audio codec aac/);
  });

  it('copies any WebM codec into WebM, only the chosen codec into MP4', () => {
    expect(canCopy('vp8', 'webm', 'vp9')).toBe(true);
    expect(canCopy('h264', 'webm', 'vp8')).toBe(false);
    expect(canCopy('vp8', 'mp4', 'h264')).toBe(false);
    expect(canCopy('h264', 'mp4', 'h264')).toBe(true);
    expect(canCopy('opus', 'mp4', 'aac')).toBe(false);
    expect(canCopy('opus', 'mp4', 'opus')).toBe(true);
  });
});

describe('thumbnails', () => {
  it('seeks to 0/25/50/75 % and just before the last frame', () => {
    expect(thumbnailTimes(10, 9.967)).toEqual([0, 2.5, 5, 7.5, 9.957]);
  });

  it('never seeks past the last frame, even for very short files', () => {
    const times = thumbnailTimes(0.1, 0.033);
    expect(Math.max(...times)).toBeLessThan(0.033);
  });

  it('keeps 320 px wide with an even height', () => {
    expect(thumbnailHeight(1280, 720)).toBe(180);
    expect(thumbnailHeight(640, 480)).toBe(240);
    expect(thumbnailHeight(1000, 750) % 2).toBe(0);
  });

  it('runs one ffmpeg with one seeked input per shot', () => {
    const shots = [0, 1.5].map((time, i) => ({ time, output: `/w/thumbnails/${i}.jpg` }));
    expect(thumbnailArgs('/w/composite.webm', shots, 320, 180)).toEqual([
      ...G,
      '-ss',
      '0.000',
      '-i',
      '/w/composite.webm',
      '-ss',
      '1.500',
      '-i',
      '/w/composite.webm',
      '-filter_complex',
      '[0:v]scale=320:180[t0];[1:v]scale=320:180[t1]',
      '-map',
      '[t0]',
      '-frames:v',
      '1',
      '-update',
      '1',
      '-q:v',
      '3',
      '/w/thumbnails/0.jpg',
      '-map',
      '[t1]',
      '-frames:v',
      '1',
      '-update',
      '1',
      '-q:v',
      '3',
      '/w/thumbnails/1.jpg',
    ]);
  });
});

describe('seconds', () => {
  it('prints milliseconds', () => {
    expect(seconds(0.8)).toBe('0.800');
    expect(seconds(5.77849)).toBe('5.778');
    expect(seconds(2)).toBe('2.000');
  });
});
