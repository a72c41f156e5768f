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
