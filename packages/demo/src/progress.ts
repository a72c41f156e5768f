import { $, bytes, el } from './format.js';

export interface TrackRow {
  trackId: string;
  participantId: string;
  kind: string;
  recordedBytes?: number;
  uploadedBytes?: number;
  chunks?: number;
  state?: string;
  /** The SDK's CRC-32 of the recorded bytes, once the track is finished. */
  crc32?: string;
}

/** The live per-track table: what each recorder produced and how much of it is already stored. */
export class ProgressTable {
  #body = $('progress').querySelector('tbody') as HTMLTableSectionElement;
  #rows = new Map<string, HTMLTableRowElement>();

  clear(): void {
    this.#rows.clear();
    this.#body.replaceChildren();
  }

  update(row: TrackRow): void {
    let tr = this.#rows.get(row.trackId);
    if (!tr) {
      tr = el('tr', {
        'data-testid': `track-${row.participantId}-${row.kind}`,
        'data-track-id': row.trackId,
      });
      tr.append(
        el('td', {}, row.participantId),
        el('td', {}, row.kind),
        el('td'),
        el('td'),
        el('td'),
        el('td'),
      );
      this.#rows.set(row.trackId, tr);
      this.#body.append(tr);
    }
    const cells = tr.cells;
    if (row.recordedBytes !== undefined)
      set(cells[2], bytes(row.recordedBytes), 'recorded', row.recordedBytes);
    if (row.uploadedBytes !== undefined)
      set(cells[3], bytes(row.uploadedBytes), 'uploaded', row.uploadedBytes);
    if (row.chunks !== undefined) set(cells[4], String(row.chunks), 'chunks', row.chunks);
    if (row.state !== undefined) set(cells[5], row.state, 'state', row.state);
    if (row.crc32 !== undefined) tr.dataset.crc32 = row.crc32;
  }
}

function set(cell: HTMLTableCellElement | undefined, text: string, field: string, raw: number | string) {
  if (!cell) return;
  cell.textContent = text;
  cell.dataset.field = field;
  cell.dataset.value = String(raw);
}
