import { describe, expect, it } from 'vitest';
import {
  type CompositeArgsInput,
  compositeArgs,
  compositeFilterGraph,
  escapeFilterText,
  labelFilter,
  rangesExpression,
} from '../src/processing/args/composite.js';

const G = ['-hide_banner', '-nostdin', '-loglevel', 'warning', '-y'];
const FULL = { x: 0, y: 0, width: 640, height: 360 };
const LEFT = { x: 0, y: 0, width: 320, height: 360 };

/** Alice alone 0–2 s (full frame), then beside Bob 2–5 s. */
const moving: CompositeArgsInput = {
  videos: [
    {
      path: '/w/av.mkv',
      offset: 0,
      placements: [
        { cell: FULL, ranges: [{ from: 0, to: 2 }] },
        { cell: LEFT, ranges: [{ from: 2, to: 5 }] },
      ],
    },
  ],
  audios: [{ path: '/w/aa.mkv', offset: 0, channels: 2 }],
  width: 640,
  height: 360,
  fps: 30,
  duration: 5,
  format: 'webm',
  videoCodec: 'vp8',
  audioCodec: 'opus',
  output: '/w/composite.webm',
};

describe('escapeFilterText', () => {
  it('leaves plain names alone', () => {
    expect(escapeFilterText('Alice Smith')).toBe('Alice Smith');
    expect(escapeFilterText('Zoë 李')).toBe('Zoë 李');
  });

  it('escapes for the option parser, then for the graph parser', () => {
    expect(escapeFilterText('a:b')).toBe('a\\\\:b');
    expect(escapeFilterText("O'Brien")).toBe("O\\\\\\'Brien");
    expect(escapeFilterText('back\\slash')).toBe('back\\\\\\\\slash');
    expect(escapeFilterText('a,b;c[d]')).toBe('a\\,b\\;c\\[d\\]');
  });

  it('keeps % (drawtext runs with expansion=none) and turns control characters into spaces', () => {
    expect(escapeFilterText('100%{pts}')).toBe('100%{pts}');
    expect(escapeFilterText('two\nlines\t!')).toBe('two lines !');
  });
});

describe('rangesExpression', () => {
  it('is 1 inside any range, [from, to)', () => {
    expect(rangesExpression([])).toBe('0');
    expect(
      rangesExpression([
        { from: 0, to: 2 },
        { from: 4.5, to: 6.25 },
      ]),
    ).toBe('gte(t,0.000)*lt(t,2.000)+gte(t,4.500)*lt(t,6.250)');
  });
});

describe('labelFilter', () => {
  it('draws the escaped name at the bottom left of the cell, when its ranges say', () => {
    expect(
      labelFilter({
        text: "Ann: 'A'",
        cell: { x: 640, y: 0, width: 640, height: 720 },
        ranges: [{ from: 1, to: 2 }],
      }),
    ).toBe(
      "drawtext=text=Ann\\\\: \\\\\\'A\\\\\\':expansion=none:fontsize=32:fontcolor=white:box=1:boxcolor=black@0.6:" +
        "boxborderw=8:x=656:y=672:enable='gte(t,1.000)*lt(t,2.000)'",
    );
  });

  it('shortens names that would not fit the cell and skips empty ones', () => {
    const filter = labelFilter({
      text: 'A very long display name indeed',
      cell: { x: 0, y: 0, width: 128, height: 72 },
    });
    expect(filter).toMatch(/^drawtext=text=A very long displ…:/);
    expect(labelFilter({ text: '  ', cell: FULL })).toBeUndefined();
  });
});

describe('compositeFilterGraph with a moving track', () => {
  it('splits the track per cell, selects each branch’s frames before scaling and enables its overlay then', () => {
    const graph = compositeFilterGraph(moving).split(';');
    const full = 'gte(t,0.000)*lt(t,2.000)';
    const left = 'gte(t,2.000)*lt(t,5.000)';
    const keep = '+isnan(prev_selected_t)+gte(t-prev_selected_t,1)';
    expect(graph.slice(0, 6)).toEqual([
      'color=c=black:s=640x360:r=30:d=5.000[base]',
      '[0:v]setpts=PTS-STARTPTS+0.000/TB,fps=30,split=2[s0_0][s0_1]',
      `[s0_0]select='${full}${keep}',scale=640:360:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[v0_0]`,
      `[base][v0_0]overlay=x=0+(640-overlay_w)/2:y=0+(360-overlay_h)/2:eval=frame:eof_action=pass:enable='${full}'[ov0_0]`,
      `[s0_1]select='${left}${keep}',scale=320:360:force_original_aspect_ratio=decrease:force_divisible_by=2,setsar=1[v0_1]`,
      `[ov0_0][v0_1]overlay=x=0+(320-overlay_w)/2:y=0+(360-overlay_h)/2:eval=frame:eof_action=pass:enable='${left}'[ov0_1]`,
    ]);
    expect(graph[6]).toBe('[ov0_1]format=yuv420p[vout]');
  });

  it('uses no split for a single cell, and drains a track that is never shown', () => {
    const graph = compositeFilterGraph({
      ...moving,
      videos: [
        { path: '/w/a.mkv', offset: 1, placements: [{ cell: LEFT, ranges: [{ from: 1, to: 3 }] }] },
        { path: '/w/b.mkv', offset: 2, placements: [] },
      ],
    });
    expect(graph).toContain('[0:v]setpts=PTS-STARTPTS+1.000/TB,fps=30[s0_0];[s0_0]select=');
    expect(graph).toContain('[1:v]setpts=PTS-STARTPTS+2.000/TB,fps=30,nullsink');
    expect(graph).not.toContain('split');
  });

  it('draws labels on the final canvas before the pixel format', () => {
    const graph = compositeFilterGraph({
      ...moving,
      labels: [{ text: 'Al', cell: FULL, ranges: [{ from: 0, to: 2 }] }],
    });
    expect(graph).toMatch(/\[ov0_1\]drawtext=text=Al:[^;]*,format=yuv420p\[vout\]/);
  });
});

describe('compositeArgs', () => {
  it('plumbs a hardware encoder: its input args first, its filter suffix last, its output args instead of the software encoder', () => {
    const encoder = {
      inputArgs: ['-init_hw_device', 'vaapi=va:/dev/dri/renderD128', '-filter_hw_device', 'va'],
      filterSuffix: 'format=nv12,hwupload',
      outputArgs: ['-c:v', 'h264_vaapi', '-b:v', '4M'],
    };
    const args = compositeArgs({ ...moving, format: 'mp4', videoCodec: 'h264', audioCodec: 'aac', encoder });
    expect(args.slice(0, G.length + 4)).toEqual([...G, ...encoder.inputArgs]);
    expect(args[G.length + 4]).toBe('-reinit_filter');
    const graph = args[args.indexOf('-filter_complex') + 1] ?? '';
    expect(graph).toContain('format=yuv420p,format=nv12,hwupload[vout]');
    const afterMaps = args.slice(args.lastIndexOf('[aout]') + 1);
    expect(afterMaps.slice(0, 4)).toEqual(encoder.outputArgs);
    expect(args).not.toContain('libx264');
    expect(afterMaps.slice(4, 8)).toEqual(['-c:a', 'aac', '-b:a', '128k']);
  });

  it('uses the software encoder without one', () => {
    const args = compositeArgs(moving);
    expect(args).toContain('libvpx');
    expect(args.slice(0, G.length + 1)).toEqual([...G, '-reinit_filter']);
  });

  it('reads the graph from a script file when asked', () => {
    const args = compositeArgs({ ...moving, filterScript: '/w/graph.txt' });
    expect(args).not.toContain('-filter_complex');
    expect(args[args.indexOf('-filter_complex_script') + 1]).toBe('/w/graph.txt');
  });
});
