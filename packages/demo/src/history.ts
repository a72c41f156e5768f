import { RecordingClient } from '@callrec/sdk';
import type { RecordingInfo } from '@callrec/sdk/protocol';
import { adminToken } from './backend.js';
import { $, el, seconds, when } from './format.js';

/** Past recordings, listed and deleted with an admin token (a real app keeps that on its server). */
export class History {
  #client: RecordingClient;
  #onOpen: (info: RecordingInfo) => void;
  #onDeleted: (id: string) => void;

  constructor(serverUrl: string, onOpen: (info: RecordingInfo) => void, onDeleted: (id: string) => void) {
    // A token source, not a string: the client asks again if the server ever refuses the token.
    this.#client = new RecordingClient({ serverUrl, token: () => adminToken(serverUrl) });
    this.#onOpen = onOpen;
    this.#onDeleted = onDeleted;
    $('refresh').addEventListener('click', () => void this.refresh());
  }

  async refresh(): Promise<void> {
    const list = $('recordings');
    try {
      const recordings = await this.#client.listRecordings();
      list.replaceChildren(...recordings.map((info) => this.#item(info)));
      if (recordings.length === 0) list.append(el('li', { class: 'muted' }, 'No recordings yet.'));
      list.dataset.state = 'loaded';
    } catch (error) {
      console.error('listing recordings failed', error);
      list.replaceChildren(el('li', { class: 'error' }, `Could not list recordings: ${String(error)}`));
      list.dataset.state = 'error';
    }
  }

  #item(info: RecordingInfo): HTMLLIElement {
    const open = el('button', { type: 'button', class: 'small', 'data-testid': `open-${info.id}` }, 'Show');
    open.disabled = info.status !== 'completed';
    open.addEventListener('click', () => this.#onOpen(info));
    const remove = el(
      'button',
      { type: 'button', class: 'small danger', 'data-testid': `delete-${info.id}` },
      'Delete',
    );
    remove.addEventListener('click', async () => {
      remove.disabled = true;
      try {
        await this.#client.deleteRecording(info.id);
        this.#onDeleted(info.id);
      } catch (error) {
        console.error('delete failed', error);
        alert(`Could not delete ${info.id}: ${String(error)}`);
      }
      await this.refresh();
    });
    return el(
      'li',
      { 'data-testid': `recording-${info.id}`, 'data-status': info.status },
      el('code', {}, info.id),
      el('span', { class: `badge ${info.status}` }, info.status),
      el('span', { class: 'muted' }, `${info.roomId} · ${when(info.createdAt)} · ${seconds(info.duration)}`),
      open,
      remove,
    );
  }
}
