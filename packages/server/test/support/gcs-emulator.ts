import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';

/**
 * The Firebase Storage emulator (firebase-tools, pinned in package.json), run in this process.
 * Its CLI start needs Java and a downloaded jar for the security-rules runtime; the GCS JSON API
 * routes never consult rules (they use an admin-only validator), so the rules runtime is not
 * started at all, and the emulator's Express app is served from our own loopback server.
 *
 * It implements upload (media, multipart, single-PUT resumable), download, list, delete, copy and
 * metadata. It does not implement multi-chunk resumable uploads, session status or cancel,
 * compose, or signature checks. It creates any bucket a request names, so buckets whose name
 * starts with `missing-` are answered here with GCS's own 404 for a bucket that does not exist.
 */

const require = createRequire(import.meta.url);
const FIREBASE_EMULATOR = 'firebase-tools/lib/emulator';
export const PROJECT_ID = 'demo-callrec';
export const MISSING_BUCKET_PREFIX = 'missing-';

interface EmulatorInternals {
  args: { port: number };
  _persistence: { deleteAll(): Promise<void> };
}

export interface GcsEmulator {
  /** `http://127.0.0.1:<port>`, the form STORAGE_EMULATOR_HOST takes. */
  host: string;
  /** A client for the emulator with a throwaway service-account key, so V4 signing works locally. */
  storage(): Storage;
  stop(): Promise<void>;
}

export async function startGcsEmulator(): Promise<GcsEmulator> {
  let modules: {
    StorageEmulator: new (args: unknown) => EmulatorInternals;
    createApp: AppFactory;
    registry: Registry;
  };
  try {
    modules = {
      StorageEmulator: require(`${FIREBASE_EMULATOR}/storage`).StorageEmulator,
      createApp: require(`${FIREBASE_EMULATOR}/storage/server`).createApp,
      registry: require(`${FIREBASE_EMULATOR}/registry`).EmulatorRegistry,
    };
  } catch (err) {
    throw new Error(
      `GCS tests need the Firebase Storage emulator from the pinned firebase-tools devDependency of @callrec/server; run the install script (${(err as Error).message})`,
    );
  }
  const blobs = mkdtempSync(join(tmpdir(), 'callrec-gcs-emulator-'));
  class IsolatedEmulator extends modules.StorageEmulator {
    // Upstream keeps blobs in one fixed folder under the temp dir, shared by every instance.
    getPersistenceTmpDir(): string {
      return blobs;
    }
  }
  const emulator = new IsolatedEmulator({
    projectId: PROJECT_ID,
    host: '127.0.0.1',
    port: 1,
    rules: { name: 'storage.rules', content: '' },
    auto_download: false,
  });
  // Object metadata carries URLs built from the registry's host and port.
  modules.registry.set('storage', emulator);
  const app = await modules.createApp(PROJECT_ID, emulator);
  const server = createServer((req, res) => (isMissingBucket(req) ? sendNoSuchBucket(res) : app(req, res)));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  emulator.args.port = port;
  const host = `http://127.0.0.1:${port}`;
  const credentials = serviceAccount();
  return {
    host,
    storage: () => new Storage({ projectId: PROJECT_ID, apiEndpoint: host, credentials }),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      modules.registry.clear('storage');
      await emulator._persistence.deleteAll();
    },
  };
}

type AppFactory = (projectId: string, emulator: EmulatorInternals) => Promise<RequestListener>;
type Registry = { set(name: string, instance: unknown): void; clear(name: string): void };

function isMissingBucket(req: IncomingMessage): boolean {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const bucket = /^\/(?:upload\/)?(?:storage\/v1\/)?b\/([^/]+)/.exec(path)?.[1] ?? path.split('/')[1];
  return bucket?.startsWith(MISSING_BUCKET_PREFIX) ?? false;
}

function sendNoSuchBucket(res: ServerResponse): void {
  const message = 'The specified bucket does not exist.';
  res.writeHead(404, { 'Content-Type': 'application/json; charset=UTF-8' });
  res.end(
    JSON.stringify({
      error: { code: 404, message, errors: [{ message, domain: 'global', reason: 'notFound' }] },
    }),
  );
}

/** A key made here and now: it signs URLs locally, and no Google service ever sees it. */
function serviceAccount(): { client_email: string; private_key: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    client_email: `callrec-test@${PROJECT_ID}.iam.gserviceaccount.com`,
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
