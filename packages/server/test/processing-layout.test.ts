import { describe, expect, it } from 'vitest';
import { type Cell, fitWithin, gridLayout } from '../src/processing/layout.js';

const overlaps = (a: Cell, b: Cell) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

describe('gridLayout', () => {
  it('has no cells for nobody', () => {
    expect(gridLayout(0, 1280, 720)).toEqual({ cols: 0, rows: 0, cells: [] });
  });

  it('gives one participant the whole frame', () => {
    expect(gridLayout(1, 1280, 720)).toEqual({
      cols: 1,
      rows: 1,
      cells: [{ x: 0, y: 0, width: 1280, height: 720 }],
    });
  });

  it('puts two side by side', () => {
    expect(gridLayout(2, 1280, 720).cells).toEqual([
      { x: 0, y: 0, width: 640, height: 720 },
      { x: 640, y: 0, width: 640, height: 720 },
    ]);
  });

  it('centres an incomplete last row', () => {
    const { cols, rows, cells } = gridLayout(3, 1280, 720);
    expect([cols, rows]).toEqual([2, 2]);
    expect(cells[2]).toEqual({ x: 320, y: 360, width: 640, height: 360 });
  });

  it('rounds cells to even sizes and centres the grid', () => {
    const { cols, rows, cells } = gridLayout(5, 1280, 720);
    expect([cols, rows]).toEqual([3, 2]);
    expect(cells[0]).toEqual({ x: 0, y: 0, width: 426, height: 360 });
    expect(cells[3]).toEqual({ x: 214, y: 360, width: 426, height: 360 });
  });

  it.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 17, 25])(
    '%i participants: cols = ceil(sqrt(n)), cells even, inside the frame, disjoint',
    (n) => {
      const width = 1280;
      const height = 720;
      const { cols, rows, cells } = gridLayout(n, width, height);
      expect(cols).toBe(Math.ceil(Math.sqrt(n)));
      expect(rows).toBe(Math.ceil(n / cols));
      expect(cells).toHaveLength(n);
      for (const [i, cell] of cells.entries()) {
        for (const value of Object.values(cell)) expect(value % 2).toBe(0);
        expect(cell.x).toBeGreaterThanOrEqual(0);
        expect(cell.y).toBeGreaterThanOrEqual(0);
        expect(cell.x + cell.width).toBeLessThanOrEqual(width);
        expect(cell.y + cell.height).toBeLessThanOrEqual(height);
        for (const other of cells.slice(i + 1)) expect(overlaps(cell, other)).toBe(false);
      }
    },
  );
});

describe('fitWithin', () => {
  const box = { width: 1280, height: 720 };

  it('keeps a frame that fits, never upscaling', () => {
    expect(fitWithin({ width: 640, height: 360 }, box)).toEqual({ width: 640, height: 360 });
    expect(fitWithin({ width: 1280, height: 720 }, box)).toEqual(box);
  });

  it('scales a larger frame down keeping its aspect ratio, to even sizes', () => {
    expect(fitWithin({ width: 1920, height: 1080 }, box)).toEqual(box);
    expect(fitWithin({ width: 1080, height: 1920 }, box)).toEqual({ width: 404, height: 720 });
    expect(fitWithin({ width: 641, height: 361 }, box)).toEqual({ width: 640, height: 360 });
  });
});
