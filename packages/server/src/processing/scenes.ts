import { type Cell, gridLayout, speakerLayout } from './layout.js';
import type { PresenceSegment, Span } from './presence.js';
import type { SpeakerSpan } from './speaker.js';

/** A stretch of output time with a fixed layout: where each present participant is drawn. */
export interface Scene extends Span {
  cells: { participantId: string; cell: Cell }[];
}

/** One cell rectangle a track or label occupies, and when. */
export interface Placement {
  cell: Cell;
  /** Sorted, disjoint, seconds of output time. */
  ranges: Span[];
}

/** Adaptive grid: the present participants, in join order, in a grid sized for how many they are. */
export function gridScenes(segments: readonly PresenceSegment[], width: number, height: number): Scene[] {
  return segments.map(({ from, to, present }) => {
    const { cells } = gridLayout(present.length, width, height);
    return {
      from,
      to,
      cells: present.map((participantId, i) => ({ participantId, cell: cells[i] as Cell })),
    };
  });
}

/**
 * Active speaker: the speaker large, the other present participants in join order in the
 * filmstrip. Where the chosen speaker is not present (or nobody has spoken yet), the first
 * present participant takes the large cell.
 */
export function speakerScenes(
  segments: readonly PresenceSegment[],
  speakers: readonly SpeakerSpan[],
  width: number,
  height: number,
): Scene[] {
  const scenes: Scene[] = [];
  for (const segment of segments) {
    const cuts = new Set([segment.from, segment.to]);
    for (const s of speakers) {
      for (const at of [s.from, s.to]) if (at > segment.from && at < segment.to) cuts.add(at);
    }
    const points = [...cuts].sort((a, b) => a - b);
    for (let i = 0; i + 1 < points.length; i++) {
      const from = points[i] as number;
      const to = points[i + 1] as number;
      const mid = (from + to) / 2;
      const chosen = speakers.find((s) => s.from <= mid && mid < s.to)?.participantId;
      const speaker = chosen !== undefined && segment.present.includes(chosen) ? chosen : segment.present[0];
      const order = speaker === undefined ? [] : [speaker, ...segment.present.filter((p) => p !== speaker)];
      const cells = speakerLayout(order.length, width, height);
      const scene = {
        from,
        to,
        cells: order.map((participantId, k) => ({ participantId, cell: cells[k] as Cell })),
      };
      const last = scenes.at(-1);
      if (last && last.to === from && sameCells(last, scene)) last.to = to;
      else scenes.push(scene);
    }
  }
  return scenes;
}

const sameCell = (a: Cell, b: Cell) =>
  a.x === b.x && a.y === b.y && a.width === b.width && a.height === b.height;
const sameCells = (a: Scene, b: Scene) =>
  a.cells.length === b.cells.length &&
  a.cells.every((c, i) => c.participantId === b.cells[i]?.participantId && sameCell(c.cell, b.cells[i].cell));

/** Adds a span to sorted disjoint ranges, joining it to the last one when they touch. */
function addRange(ranges: Span[], span: Span): void {
  const last = ranges.at(-1);
  if (last && span.from <= last.to + 1e-6) last.to = Math.max(last.to, span.to);
  else ranges.push({ ...span });
}

/**
 * Where a participant's thing that covers `span` (a video track, a label) is drawn: one placement
 * per distinct cell rectangle, with the output time ranges it is drawn there.
 */
export function placementsOf(scenes: readonly Scene[], participantId: string, span: Span): Placement[] {
  const placements: Placement[] = [];
  for (const scene of scenes) {
    const from = Math.max(scene.from, span.from);
    const to = Math.min(scene.to, span.to);
    if (to <= from) continue;
    const cell = scene.cells.find((c) => c.participantId === participantId)?.cell;
    if (!cell) continue;
    let placement = placements.find((p) => sameCell(p.cell, cell));
    if (!placement) {
      placement = { cell, ranges: [] };
      placements.push(placement);
    }
    addRange(placement.ranges, { from, to });
  }
  return placements;
}
