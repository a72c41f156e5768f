import { describe, expect, it } from 'vitest';
import { UrlSigner } from '../src/auth/signed-url.js';
import { mintToken, verifyToken } from '../src/auth/tokens.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { ApiError } from '../src/errors.js';

const SECRET = 'unit-test-secret-0123456789abcdef0123';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return `${err.status} ${err.code}`;
    throw err;
  }
  return undefined;
}

describe('tokens', () => {
  it('round-trips a recording token and an admin token', () => {
    const token = mintToken(SECRET, { sub: 'rec-1', scope: 'recording', ttlSeconds: 60 });
    expect(token).toMatch(/^v1\.[\w-]+\.[\w-]+$/);
    expect(verifyToken(SECRET, token)).toMatchObject({ sub: 'rec-1', scope: 'recording' });
    const admin = mintToken(SECRET, { sub: '*', scope: 'admin', ttlSeconds: 60 });
    expect(verifyToken(SECRET, admin)).toMatchObject({ sub: '*', scope: 'admin' });
  });

  it('rejects expired, tampered, foreign-secret and malformed tokens', () => {
    const now = Date.now();
    const token = mintToken(SECRET, { sub: 'rec-1', scope: 'recording', ttlSeconds: 60 }, now);
    expect(codeOf(() => verifyToken(SECRET, token, now + 61_000))).toBe('401 token_expired');
    const [v, payload, sig] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ sub: 'rec-2', scope: 'admin', exp: 9e9 })).toString(
      'base64url',
    );
    expect(codeOf(() => verifyToken(SECRET, `${v}.${forged}.${sig}`))).toBe('401 invalid_token');
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    expect(codeOf(() => verifyToken(SECRET, `${v}.${payload}.${flipped}`))).toBe('401 invalid_token');
    // Another spelling of the same bytes (the last character's spare bits) is refused too.
    const last = sig.at(-1) as string;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 1] as string;
    expect(Buffer.from(`${sig.slice(0, -1)}${sibling}`, 'base64url')).toEqual(Buffer.from(sig, 'base64url'));
    expect(codeOf(() => verifyToken(SECRET, `${v}.${payload}.${sig.slice(0, -1)}${sibling}`))).toBe(
      '401 invalid_token',
    );
    expect(codeOf(() => verifyToken(`${SECRET}x`, token))).toBe('401 invalid_token');
    for (const bad of ['', 'v1', 'v1..', 'v2.a.b', `${token}.extra`, 'not a token']) {
      expect(codeOf(() => verifyToken(SECRET, bad))).toBe('401 invalid_token');
    }
  });

  it('refuses to mint tokens with path-unsafe or mismatched subjects', () => {
    expect(() => mintToken(SECRET, { sub: '../x', scope: 'recording', ttlSeconds: 60 })).toThrow(/not valid/);
    expect(() => mintToken(SECRET, { sub: 'rec-1', scope: 'admin', ttlSeconds: 60 })).toThrow(/not valid/);
    expect(() => mintToken('', { sub: 'rec-1', scope: 'recording', ttlSeconds: 60 })).toThrow(/secret/);
  });
});

describe('signed URLs', () => {
  const path = '/v1/uploads/rec-1/00112233445566778899aabb/1';

  it('verifies its own signature until expiry', () => {
    let now = Date.now();
    const signer = new UrlSigner(SECRET, () => now);
    const { query } = signer.sign('PUT', path, 60);
    const params = new URLSearchParams(query);
    const verify = (method: string, p: string, q = params) =>
      codeOf(() => signer.verify(method, p, q.get('expires') ?? undefined, q.get('signature') ?? undefined));
    expect(verify('PUT', path)).toBeUndefined();
    expect(verify('GET', path)).toBe('403 signature_invalid');
    expect(verify('PUT', path.replace('rec-1', 'rec-2'))).toBe('403 signature_invalid');
    expect(verify('PUT', path.replace(/1$/, '2'))).toBe('403 signature_invalid');
    const later = new URLSearchParams(params);
    later.set('expires', String(Number(params.get('expires')) + 3600));
    expect(verify('PUT', path, later)).toBe('403 signature_invalid');
    expect(verify('PUT', path, new URLSearchParams())).toBe('403 signature_invalid');
    now += 61_000;
    expect(verify('PUT', path)).toBe('403 url_expired');
  });

  it('does not accept a URL signed with another secret', () => {
    const { query } = new UrlSigner(`${SECRET}x`).sign('PUT', path, 60);
    const q = new URLSearchParams(query);
    const signer = new UrlSigner(SECRET);
    expect(codeOf(() => signer.verify('PUT', path, q.get('expires') ?? '', q.get('signature') ?? ''))).toBe(
      '403 signature_invalid',
    );
  });
});

describe('loadConfig', () => {
  const base = { RECORDING_TOKEN_SECRET: SECRET };

  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      format: 'webm',
      videoCodec: 'vp8',
      audioCodec: 'opus',
      storage: { provider: 'local' },
      processingConcurrency: 1,
      partSize: 8 * 1024 * 1024,
      minPartSize: 5 * 1024 * 1024,
      composite: { width: 1280, height: 720, fps: 30 },
      port: 8787,
      host: '127.0.0.1',
      publicUrl: 'http://127.0.0.1:8787',
      corsOrigins: '*',
    });
    expect(config.outputDir).toMatch(/\/recordings$/);
  });

  it('lists every bad value in one error', () => {
    const env = {
      RECORDING_FORMAT: 'avi',
      RECORDING_PROCESSING_CONCURRENCY: '0',
      RECORDING_COMPOSITE_WIDTH: '1281',
      PORT: 'eighty',
      RECORDING_STORAGE_PROVIDER: 'aws',
      RECORDING_PUBLIC_URL: 'ftp://x',
    };
    let error: unknown;
    try {
      loadConfig({ ...base, ...env });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    const expected = [
      'RECORDING_FORMAT',
      'RECORDING_PROCESSING_CONCURRENCY',
      'RECORDING_COMPOSITE_WIDTH',
      'PORT',
    ];
    for (const name of [
      ...expected,
      'RECORDING_PUBLIC_URL',
      'RECORDING_STORAGE_BUCKET is required for aws',
    ]) {
      expect(problems).toContain(name);
    }
  });

  it('needs a long secret unless in dev mode', () => {
    expect(() => loadConfig({})).toThrow(/RECORDING_TOKEN_SECRET is required/);
    expect(() => loadConfig({ RECORDING_TOKEN_SECRET: 'short' })).toThrow(/at least 32/);
    const dev = loadConfig({ RECORDING_DEV: '1' });
    expect(dev.usingDevSecret).toBe(true);
    expect(loadConfig({ ...base, RECORDING_DEV: '1' }).usingDevSecret).toBe(false);
  });

  it('rejects format/codec combinations the pipeline cannot produce', () => {
    expect(() => loadConfig({ ...base, RECORDING_FORMAT: 'mp4' })).toThrow(/vp8/);
    expect(loadConfig({ ...base, RECORDING_FORMAT: 'mp4', RECORDING_VIDEO_CODEC: 'h264' }).format).toBe(
      'mp4',
    );
    expect(() => loadConfig({ ...base, RECORDING_PART_SIZE: '1048576' })).toThrow(/RECORDING_MIN_PART_SIZE/);
  });
});
