import type { RecordingInfo } from '@callrec/sdk/protocol';
import { $, bytes, el, seconds } from './format.js';

/** The finished recording: the composite, one player per participant, and the thumbnails. */
export function showResult(info: RecordingInfo): void {
  const section = $('result');
  const players = section.querySelector('.players') as HTMLElement;
  const thumbnails = section.querySelector('.thumbnails') as HTMLElement;
  const outputs = [...info.outputs].sort((a, b) =>
    a.kind === 'composite' ? -1 : b.kind === 'composite' ? 1 : 0,
  );
  players.replaceChildren(
    ...outputs.map((output) => {
      const composite = output.kind === 'composite';
      const name = composite ? 'Composite' : `Participant: ${output.participantId}`;
      const testId = composite ? 'composite-player' : `participant-player-${output.participantId}`;
      const still = info.thumbnails.find((t) => t.position === 25);
      const poster: Record<string, string> = composite && still ? { poster: still.url } : {};
      return el(
        'figure',
        { class: composite ? 'composite' : '' },
        // 'auto', not 'metadata': Chromium paints no frame until it has buffered some media.
        el('video', { 'data-testid': testId, src: output.url, controls: '', preload: 'auto', ...poster }),
        el(
          'figcaption',
          {},
          `${name} · ${seconds(output.duration)} · ${bytes(output.size)} · `,
          el('a', { href: output.url, download: '' }, 'download'),
        ),
      );
    }),
  );
  thumbnails.replaceChildren(
    ...[...info.thumbnails]
      .sort((a, b) => a.position - b.position)
      .map((t) =>
        el(
          'figure',
          {},
          el('img', {
            'data-testid': `thumbnail-${t.position}`,
            src: t.url,
            alt: `${t.position} %`,
            width: String(t.width),
          }),
          el('figcaption', {}, `${t.position} %`),
        ),
      ),
  );
  section.dataset.recordingId = info.id;
  section.hidden = false;
}

export function hideResult(): void {
  $('result').hidden = true;
}
