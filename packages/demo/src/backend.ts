/** The demo backend's routes (packages/demo/server/main.ts); a real app mints tokens its own way. */
export interface DemoSession {
  recordingId: string;
  roomId: string;
  token: string;
}

export async function createSession(serverUrl: string): Promise<DemoSession> {
  return post<DemoSession>(`${serverUrl}/demo/session`);
}

export async function adminToken(serverUrl: string): Promise<string> {
  const response = await fetch(`${serverUrl}/demo/admin-token`);
  if (!response.ok) throw new Error(`GET /demo/admin-token: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

/** A fresh token for a recording an earlier page started (recovery after a reload). */
export async function recordingToken(serverUrl: string, recordingId: string): Promise<string> {
  const response = await fetch(`${serverUrl}/demo/token/${encodeURIComponent(recordingId)}`);
  if (!response.ok) throw new Error(`GET /demo/token/${recordingId}: HTTP ${response.status}`);
  return ((await response.json()) as { token: string }).token;
}

async function post<T>(url: string): Promise<T> {
  const response = await fetch(url, { method: 'POST' });
  if (!response.ok) throw new Error(`POST ${new URL(url).pathname}: HTTP ${response.status}`);
  return (await response.json()) as T;
}
