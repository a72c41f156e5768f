/**
 * The two calls the server makes on a resumable upload session URL itself, following Google's
 * documented protocol (cloud.google.com/storage/docs/performing-resumable-uploads). The session
 * URL is its own credential, so these requests carry no authorization.
 */

export type SessionStatus =
  /** Still open: storage holds the first `committed` bytes. */
  | { state: 'open'; committed: number }
  /** Finalized: the object exists; `size` and `etag` come from its metadata. */
  | { state: 'complete'; size: number; etag: string }
  /** Cancelled, expired (after a week), or never existed. */
  | { state: 'gone'; status: number };

export class SessionRequestError extends Error {
  constructor(
    readonly operation: string,
    readonly status: number,
    body: string,
  ) {
    super(`${operation}: the session URL answered HTTP ${status}: ${body.slice(0, 300)}`);
    this.name = 'SessionRequestError';
  }
}

const SESSION_TIMEOUT_MS = 30_000;

/** An empty `PUT` whose `Content-Range` names no range and no total asks how far the upload got. */
export async function querySession(url: string): Promise<SessionStatus> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { 'Content-Range': 'bytes */*', 'Content-Length': '0' },
    signal: AbortSignal.timeout(SESSION_TIMEOUT_MS),
  });
  const body = await response.text();
  if (response.status === 308) {
    return { state: 'open', committed: committedBytes(response.headers.get('Range')) };
  }
  if (response.status === 200 || response.status === 201) {
    const meta = JSON.parse(body) as { size?: string | number; etag?: string };
    return { state: 'complete', size: Number(meta.size ?? 0), etag: meta.etag ?? '' };
  }
  if (response.status === 404 || response.status === 410) return { state: 'gone', status: response.status };
  throw new SessionRequestError('querySession', response.status, body);
}

/** `DELETE` cancels the session; Google answers 499 for a cancelled one, 404/410 if it was gone. */
export async function cancelSession(url: string): Promise<void> {
  const response = await fetch(url, {
    method: 'DELETE',
    headers: { 'Content-Length': '0' },
    signal: AbortSignal.timeout(SESSION_TIMEOUT_MS),
  });
  const body = await response.text();
  if ([200, 204, 404, 410, 499].includes(response.status)) return;
  throw new SessionRequestError('cancelSession', response.status, body);
}

/** `Range: bytes=0-N` means N + 1 bytes are committed; no header means none are. */
export function committedBytes(range: string | null): number {
  if (!range) return 0;
  const match = /^bytes=0-(\d+)$/.exec(range.trim());
  if (!match) throw new Error(`Unexpected Range header from a resumable session: ${JSON.stringify(range)}`);
  return Number(match[1]) + 1;
}
