import type { StorageProviderName } from '@callrec/sdk/protocol';
import { UrlSigner } from '../auth/signed-url.js';
import type { ServerConfig } from '../config.js';
import { createGcsStorage } from './gcs-store.js';
import { LocalStore } from './local-store.js';
import { createS3Storage } from './s3-store.js';
import type { RecordingStorage } from './storage.js';

export type StorageFactory = (
  config: ServerConfig,
  signer: UrlSigner,
) => RecordingStorage | Promise<RecordingStorage>;

/**
 * One entry per provider; a new provider is a new file plus one line here
 * (e.g. `aws: createS3Storage` from `./s3-store.js`, `gcp: createGcsStorage` from `./gcs-store.js`).
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
  aws: createS3Storage,
  gcp: createGcsStorage,
};

export async function createStorage(config: ServerConfig, signer = new UrlSigner(config.tokenSecret)) {
  const factory = factories[config.storage.provider];
  if (!factory)
    throw new Error(`Storage provider "${config.storage.provider}" is not available in this build`);
  return factory(config, signer);
}

export { GcsStore } from './gcs-store.js';
export { LocalStore } from './local-store.js';
export { S3Store } from './s3-store.js';
export type { CreatedUpload, RecordingStorage, SignedPartUrl, StoredPart } from './storage.js';
export { StorageError } from './storage-error.js';
