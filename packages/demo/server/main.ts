import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { ID_PATTERN } from '@callrec/sdk/protocol';
import { ConfigError, createApp, listen, loadConfig, mintToken } from '@callrec/server';

/**
 * The demo's backend: the callrec server (local disk storage) plus the routes an app's own
 * backend would provide. Anyone who can reach it gets tokens, the admin one included: local use only.
 */
const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const TOKEN_TTL_SECONDS = 2 * 60 * 60;
const ROOM_ID = 'demo-room';

// 256 KiB parts (the server's default, 8 MiB, is S3's realism): with local storage the page then
// shows each track uploading every few seconds instead of only when the call ends.
const DEMO_PART_SIZE = String(256 * 1024);
const env: Record<string, string | undefined> = {
  RECORDING_DEV: '1',
  RECORDING_PART_SIZE: DEMO_PART_SIZE,
  RECORDING_MIN_PART_SIZE: DEMO_PART_SIZE,
  ...process.env,
};
env.RECORDING_OUTPUT_DIR ||= resolve(REPO_ROOT, 'recordings');
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const secret = config.tokenSecret;

const devSecret = config.usingDevSecret
  ? '\n   Tokens are signed with the public development secret (RECORDING_DEV=1).'
  : '';
console.warn(
  `\n⚠  callrec DEMO backend: for local use only.\n` +
    `   POST /demo/session and GET /demo/admin-token hand out tokens (the admin one too) to anyone\n` +
    `   who can reach http://${config.host}:${config.port}.${devSecret}\n`,
);

const callrec = await createApp({ config });

callrec.app.post('/demo/session', (c) => {
  // Sortable by time, unguessable, and inside ID_PATTERN (base64url uses only A-Z a-z 0-9 - _).
  const recordingId = `rec-${Date.now().toString(36)}-${randomBytes(6).toString('base64url')}`;
  const token = mintToken(secret, { sub: recordingId, scope: 'recording', ttlSeconds: TOKEN_TTL_SECONDS });
  return c.json({ recordingId, roomId: ROOM_ID, token }, 201);
});

// A fresh token for a recording the page started earlier: what recovery after a reload needs.
callrec.app.get('/demo/token/:recordingId', (c) => {
  const recordingId = c.req.param('recordingId');
  if (!ID_PATTERN.test(recordingId)) {
    return c.json({ error: { code: 'invalid_id', message: 'recording id must match ID_PATTERN' } }, 400);
  }
  return c.json({
    token: mintToken(secret, { sub: recordingId, scope: 'recording', ttlSeconds: TOKEN_TTL_SECONDS }),
  });
});

callrec.app.get('/demo/admin-token', (c) =>
  c.json({ token: mintToken(secret, { sub: '*', scope: 'admin', ttlSeconds: TOKEN_TTL_SECONDS }) }),
);

listen(callrec, {
  port: config.port,
  hostname: config.host,
  onListening: (info) =>
    console.log(
      `callrec demo backend on http://${info.address}:${info.port}; recordings in ${config.outputDir}`,
    ),
});
