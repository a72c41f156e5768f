import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src/errors.js';
import { s3Failure } from '../src/storage/s3-errors.js';
import { StorageError } from '../src/storage/storage-error.js';

// Unit tests: how SDK failures become errors the server reports.
const s3Error = (name: string, status: number) =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status } });
const site = {
  bucket: 'recs',
  operation: 'completeMultipartUpload',
  key: 'rec1/tracks/t.webm',
  upload: true,
};

describe('s3Failure', () => {
  it('maps what the browser caused to the local provider’s API errors', () => {
    expect(s3Failure(s3Error('EntityTooSmall', 400), site)).toMatchObject({
      status: 400,
      code: 'part_too_small',
    });
    expect(s3Failure(s3Error('InvalidPart', 400), site)).toMatchObject({
      status: 409,
      code: 'part_mismatch',
    });
    expect(s3Failure(s3Error('NoSuchUpload', 404), site)).toMatchObject({
      status: 404,
      code: 'upload_not_found',
    });
    // Ceph RGW's answer for the same thing:
    expect(s3Failure(s3Error('NoSuchKey', 404), site)).toBeInstanceOf(ApiError);
  });

  it('keeps NoSuchKey a storage error when no upload is involved', () => {
    const err = s3Failure(s3Error('NoSuchKey', 404), {
      bucket: 'recs',
      operation: 'getObject',
      key: 'rec1/a.webm',
    });
    expect(err).toBeInstanceOf(StorageError);
    expect(err).toMatchObject({ code: 'NoSuchKey', status: 404, operation: 'getObject' });
    expect(err).not.toHaveProperty('upload');
  });

  it('names provider, bucket, operation, key, code and a hint', () => {
    const err = s3Failure(s3Error('AccessDenied', 403), {
      bucket: 'recs',
      operation: 'putObject',
      key: 'rec1/a.webm',
    });
    expect(err.message).toBe(
      'aws storage: putObject failed on bucket "recs", key "rec1/a.webm": AccessDenied, HTTP 403 ' +
        '(the credentials are not allowed to do this; check the IAM policy or bucket policy)',
    );
  });

  it('reads Node’s code from network errors, including AggregateError (IPv4 + IPv6 attempts)', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(s3Failure(refused, { bucket: 'recs', operation: 'listParts' })).toMatchObject({
      code: 'ECONNREFUSED',
      status: undefined,
    });
    const both = new AggregateError([refused, refused], 'connect failed');
    expect(s3Failure(both, { bucket: 'recs', operation: 'listParts' })).toMatchObject({
      code: 'ECONNREFUSED',
    });
  });
});
