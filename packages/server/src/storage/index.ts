import type { StorageProviderName } from '@callrec/sdk/protocol';
import { UrlSigner } from '../auth/signed-url.js';
import type { ServerConfig } from '../config.js';
import { LocalStore } from './local-store.js';
import type { RecordingStorage } from './storage.js';

export type StorageFactory = (
  config: ServerConfig,
  signer: UrlSigner,
) => RecordingStorage | Promise<RecordingStorage>;

/**
 * One entry per provider; a new provider is a new file plus one line here. Cloud providers are
 * imported on first use: their SDKs take over a second to load, which a local server never needs.
 */
const factories: Partial<Record<StorageProviderName, StorageFactory>> = {
  local: (config, signer) =>
    new LocalStore({
      root: config.outputDir,
      publicUrl: config.publicUrl,
      signer,
      partSize: config.partSize,
      minPartSize: config.minPartSize,
      maxPartSize: config.maxPartSize,
    }),
  aws: async (config) => (await import('./s3-store.js')).createS3Storage(config),
  gcp: async (config) => (await import('./gcs-store.js')).createGcsStorage(config),
};

export async function createStorage(config: ServerConfig, signer = new UrlSigner(config.tokenSecret)) {
  const factory = factories[config.storage.provider];
  if (!factory)
    throw new Error(`Storage provider "${config.storage.provider}" is not available in this build`);
  return factory(config, signer);
}

export type { GcsStore } from './gcs-store.js';
export { LocalStore } from './local-store.js';
export type { S3Store } from './s3-store.js';
export type { CreatedUpload, RecordingStorage, SignedPartUrl, StoredPart } from './storage.js';
export { StorageError } from './storage-error.js';
