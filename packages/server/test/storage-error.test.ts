import { describe, expect, it } from 'vitest';
import { gcsFailure } from '../src/storage/gcs-errors.js';
import { StorageError } from '../src/storage/storage-error.js';

// Unit tests: what an operator reads when storage fails for a reason without a known code.
describe('StorageError', () => {
  it('keeps the library’s own words when the code says nothing', () => {
    const err = gcsFailure(new Error('Could not load the default credentials.\nBrowse to ...'), {
      bucket: 'recs',
      operation: 'createResumableUpload',
    });
    expect(err).toBeInstanceOf(StorageError);
    expect(err.message).toBe(
      'gcp storage: createResumableUpload failed on bucket "recs": Error (Could not load the default credentials.)',
    );
  });

  it('points gcp users at the emulator variable when nothing listens', () => {
    const err = new StorageError({ provider: 'gcp', bucket: 'b', operation: 'upload', code: 'ECONNREFUSED' });
    expect(err.message).toContain('STORAGE_EMULATOR_HOST');
    const s3 = new StorageError({ provider: 'aws', bucket: 'b', operation: 'upload', code: 'ECONNREFUSED' });
    expect(s3.message).toContain('RECORDING_STORAGE_ENDPOINT');
  });
});
