import type { AudioCodec, OutputFormat, VideoCodec } from '@callrec/sdk/protocol';
import { audioDelayFilter, audioEncoderArgs, muxerArgs, videoEncoderArgs } from '../codecs.js';
import type { Cell } from '../layout.js';
import type { Span } from '../presence.js';
import type { Placement } from '../scenes.js';
import { AUDIO_ON_TIMESTAMPS, GLOBAL_ARGS, seconds } from './common.js';

export interface CompositeVideoInput {
  /** A remuxed video track. */
  path: string;
  /** Seconds after the timeline start. */
  offset: number;
  /** The track's only cell, for its whole span. */
  cell?: Cell;
  /** Or, for a layout that changes: each cell the track is drawn in, with when. */
  placements?: Placement[];
}

export interface CompositeAudioInput {
  /** A remuxed audio track. */
  path: string;
  /** Seconds after the timeline start. */
  offset: number;
  /** From ffprobe; mono tracks are spread to both channels at full level. */
  channels?: number;
}

/** A participant's display name drawn at the bottom left of a cell. */
export interface CompositeLabel {
  text: string;
  cell: Cell;
  /** When it is drawn; always when left out. */
  ranges?: Span[];
}

/** A hardware encoder (processing/hwaccel.ts): replaces the software video encoder. */
export interface CompositeEncoder {
  /** Before the inputs, e.g. `-init_hw_device`. */
  inputArgs: string[];
  /** Appended to the final video chain, e.g. `hwupload`. */
  filterSuffix: string;
  /** Instead of `videoEncoderArgs(...)`. */
  outputArgs: string[];
}

export interface CompositeArgsInput {
  videos: CompositeVideoInput[];
  audios: CompositeAudioInput[];
  labels?: CompositeLabel[];
  width: number;
  height: number;
  fps: number;
  /** The whole timeline, seconds. */
  duration: number;
  format: OutputFormat;
  videoCodec: VideoCodec;
  audioCodec: AudioCodec;
  encoder?: CompositeEncoder;
  /**
   * Read the filter graph from this file (`-filter_complex_script`) instead of the command line:
   * Linux refuses a single argument over 128 KiB, which a long call with many layout changes can reach.
   * The caller writes `compositeFilterGraph(input)` there.
   */
  filterScript?: string;
  output: string;
}

/**
 * Escapes text for a filter option value inside a filter graph: first for the option parser
 * (`\`, `'`, `:`), then for the graph parser (`\`, `'`, `[`, `]`, `,`, `;`). Control characters,
 * which drawtext would draw as boxes or line breaks, become spaces.
 */
export function escapeFilterText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  const option = clean.replace(/[\\':]/g, (c) => `\\${c}`);
  return option.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

/** `1` while t is in one of the ranges, for `select=` and `enable=`. */
export function rangesExpression(ranges: readonly Span[]): string {
  if (ranges.length === 0) return '0';
  return ranges.map((r) => `gte(t,${seconds(r.from)})*lt(t,${seconds(r.to)})`).join('+');
}

const LABEL_MAX_CHARS = 40;

/** drawtext for one label: white on a translucent box, font size from the cell height. */
export function labelFilter(label: CompositeLabel): string | undefined {
  const { cell } = label;
  const size = Math.max(10, Math.min(32, Math.round(cell.height / 12)));
  const pad = Math.round(size / 2);
  // DejaVu Sans averages about 0.6 em per character; keep the box inside the cell.
  const fits = Math.max(1, Math.min(LABEL_MAX_CHARS, Math.floor((cell.width - 3 * pad) / (size * 0.6))));
  const chars = [...label.text.trim()];
  if (chars.length === 0) return undefined;
  const text = chars.length > fits ? `${chars.slice(0, Math.max(1, fits - 1)).join('')}…` : chars.join('');
  const enable = label.ranges ? `:enable='${rangesExpression(label.ranges)}'` : '';
  return (
    `drawtext=text=${escapeFilterText(text)}:expansion=none:fontsize=${size}:fontcolor=white:` +
    `box=1:boxcolor=black@0.6:boxborderw=${Math.round(pad / 2)}:` +
    `x=${cell.x + pad}:y=${cell.y + cell.height - pad - size}${enable}`
  );
}

const AUDIO_FORMAT = 'aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo';

/**
 * The composite's filter graph. Inputs are numbered videos first, then audios.
 *
 * Video: a black `color` base as long as the timeline sets the output clock (fps, size). Each
 * track is shifted to its wall-clock offset, brought to the output rate with `fps=` (MediaRecorder
 * files claim 1000/1), fitted into its cell and overlaid with `eof_action=pass`, so late joiners
 * appear late and early leavers leave a black cell.
 *
 * A track whose cell changes (adaptive grid, active speaker) is split into one branch per
 * distinct cell, so the graph grows with the number of different cells, not with the call's
 * length. Each branch keeps only its own frames (`select`) before scaling, and its overlay is
 * enabled only then. Outside its ranges a branch still lets one frame a second through: overlay
 * reads one frame ahead, and a branch with a long gap would otherwise make the other branches of
 * the same track queue every frame of that gap.
 *
 * Audio: each track is delayed by its offset and the tracks are summed with `normalize=0`
 * (amix otherwise divides every input's volume by the number of inputs), then padded to the timeline.
 */
export function compositeFilterGraph(input: CompositeArgsInput): string {
  const { width, height, fps } = input;
  const duration = seconds(input.duration);
  const parts = [`color=c=black:s=${width}x${height}:r=${fps}:d=${duration}[base]`];
  let canvas = 'base';
  // No `pad`: it keeps the offsets it computed for the first frame size, so after a mid-stream
  // size change the picture lands off-centre and is cut. The overlay centres each frame instead.
  const fit = ({ width: w, height: h }: Cell) =>
    `scale=${w}:${h}:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1`;
  const at = ({ x, y, width: w, height: h }: Cell) =>
    `x=${x}+(${w}-overlay_w)/2:y=${y}+(${h}-overlay_h)/2:eval=frame`;
  input.videos.forEach((video, i) => {
    const timed = `[${i}:v]setpts=PTS-STARTPTS+${seconds(video.offset)}/TB,fps=${fps}`;
    if (video.cell) {
      parts.push(
        `${timed},${fit(video.cell)}[v${i}]`,
        `[${canvas}][v${i}]overlay=${at(video.cell)}:eof_action=pass[o${i}]`,
      );
      canvas = `o${i}`;
      return;
    }
    const placements = (video.placements ?? []).filter((p) => p.ranges.length > 0);
    if (placements.length === 0) {
      // Never shown; still consumed so the input does not stall the graph.
      parts.push(`${timed},nullsink`);
      return;
    }
    const branches = placements.map((_, k) => `s${i}_${k}`);
    parts.push(
      placements.length === 1
        ? `${timed}[${branches[0]}]`
        : `${timed},split=${placements.length}${branches.map((b) => `[${b}]`).join('')}`,
    );
    placements.forEach((placement, k) => {
      const when = rangesExpression(placement.ranges);
      const label = `v${i}_${k}`;
      parts.push(
        `[${branches[k]}]select='${when}+isnan(prev_selected_t)+gte(t-prev_selected_t,1)',${fit(placement.cell)}[${label}]`,
        `[${canvas}][${label}]overlay=${at(placement.cell)}:eof_action=pass:enable='${when}'[o${label}]`,
      );
      canvas = `o${label}`;
    });
  });
  const labels = (input.labels ?? []).map(labelFilter).filter((f): f is string => f !== undefined);
  const suffix = input.encoder?.filterSuffix ? `,${input.encoder.filterSuffix}` : '';
  parts.push(`[${canvas}]${[...labels, 'format=yuv420p'].join(',')}${suffix}[vout]`);

  const first = input.videos.length;
  input.audios.forEach((audio, i) => {
    // Each track on its own timestamps first: amix ignores them.
    // A mono microphone plays at full level on both speakers in the browser (Web Audio's up-mix);
    // ffmpeg's default mono-to-stereo matrix would lower it by 3 dB.
    const upmix = audio.channels === 1 ? 'pan=stereo|c0=c0|c1=c0,' : '';
    parts.push(
      `[${first + i}:a]${AUDIO_ON_TIMESTAMPS},${upmix}${AUDIO_FORMAT},` +
        `${audioDelayFilter(audio.offset, input.audioCodec)}[a${i}]`,
    );
  });
  if (input.audios.length === 0) {
    parts.push(`anullsrc=channel_layout=stereo:sample_rate=48000:d=${duration}[aout]`);
  } else {
    const labels = input.audios.map((_, i) => `[a${i}]`).join('');
    parts.push(
      `${labels}amix=inputs=${input.audios.length}:duration=longest:dropout_transition=0:normalize=0,` +
        `apad=whole_dur=${duration}[aout]`,
    );
  }
  return parts.join(';');
}

/** The composite's full argument list: the laid-out video over the timeline plus the mixed audio. */
export function compositeArgs(input: CompositeArgsInput): string[] {
  const args = [...GLOBAL_ARGS, ...(input.encoder?.inputArgs ?? [])];
  for (const video of input.videos) {
    // Remote WebRTC video changes size mid-file; a rebuilt graph loses frames and desyncs cells,
    // while `scale` alone handles the new size.
    args.push('-reinit_filter', '0', '-i', video.path);
  }
  for (const audio of input.audios) args.push('-i', audio.path);
  args.push(
    ...(input.filterScript
      ? ['-filter_complex_script', input.filterScript]
      : ['-filter_complex', compositeFilterGraph(input)]),
    '-map',
    '[vout]',
    '-map',
    '[aout]',
    ...(input.encoder?.outputArgs ?? videoEncoderArgs(input.videoCodec, input)),
    ...audioEncoderArgs(input.audioCodec),
    '-t',
    seconds(input.duration),
    ...muxerArgs(input.format),
    input.output,
  );
  return args;
}
