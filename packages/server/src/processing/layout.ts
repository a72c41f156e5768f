/** A rectangle in the composite frame, in pixels. */
export interface Cell {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GridLayout {
  cols: number;
  rows: number;
  cells: Cell[];
}

/** Rounds down to an even number: yuv420p halves chroma, so odd sizes and offsets smear colour. */
const even = (value: number): number => Math.floor(value / 2) * 2;

/**
 * Cells for `count` participants: cols = ceil(sqrt(n)), rows = ceil(n / cols), all cells the same
 * size, the grid centred in the frame and an incomplete last row centred too.
 */
export function gridLayout(count: number, width: number, height: number): GridLayout {
  if (count <= 0) return { cols: 0, rows: 0, cells: [] };
  const cols = Math.ceil(Math.sqrt(count));
  const rows = Math.ceil(count / cols);
  const cellWidth = even(width / cols);
  const cellHeight = even(height / rows);
  const top = even((height - rows * cellHeight) / 2);
  const cells: Cell[] = [];
  for (let i = 0; i < count; i++) {
    const row = Math.floor(i / cols);
    const inRow = Math.min(cols, count - row * cols);
    const left = even((width - inRow * cellWidth) / 2);
    cells.push({
      x: left + (i % cols) * cellWidth,
      y: top + row * cellHeight,
      width: cellWidth,
      height: cellHeight,
    });
  }
  return { cols, rows, cells };
}

/** Height of the speaker layout's filmstrip, as a fraction of the frame. */
const FILMSTRIP_SHARE = 0.2;

/**
 * The active-speaker layout for `count` participants: cell 0 is the speaker's, the rest form a
 * filmstrip row along the bottom, centred, each tile at most 16:9 and all the same size. Alone,
 * the speaker gets the whole frame.
 */
export function speakerLayout(count: number, width: number, height: number): Cell[] {
  if (count <= 0) return [];
  if (count === 1) return [{ x: 0, y: 0, width, height }];
  const others = count - 1;
  const stripHeight = Math.max(2, even(height * FILMSTRIP_SHARE));
  const tileWidth = Math.max(2, Math.min(even(width / others), even((stripHeight * 16) / 9)));
  const left = even((width - others * tileWidth) / 2);
  const top = height - stripHeight;
  const cells: Cell[] = [{ x: 0, y: 0, width, height: top }];
  for (let i = 0; i < others; i++) {
    cells.push({ x: left + i * tileWidth, y: top, width: tileWidth, height: stripHeight });
  }
  return cells;
}

/**
 * The even-sized box a frame of `size` gets when it must fit in `limit`: unchanged when it fits,
 * scaled down keeping its aspect ratio otherwise. Never scaled up.
 */
export function fitWithin(
  size: { width: number; height: number },
  limit: { width: number; height: number },
): { width: number; height: number } {
  const factor = Math.min(1, limit.width / size.width, limit.height / size.height);
  return {
    width: Math.max(2, even(size.width * factor)),
    height: Math.max(2, even(size.height * factor)),
  };
}
