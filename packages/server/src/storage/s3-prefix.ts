import {
  AbortMultipartUploadCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { isNoSuchUpload, s3Failure } from './s3-errors.js';
import { StorageError } from './storage-error.js';

/**
 * Aborts every unfinished multipart upload under `prefix`, then deletes every object under it.
 * Uploads go first so that none can complete into a new object after the objects are gone.
 */
export async function deleteUnderPrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  await abortUploads(client, bucket, prefix);
  await deleteObjects(client, bucket, prefix);
}

async function abortUploads(client: S3Client, bucket: string, prefix: string): Promise<void> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  do {
    const out = await call(bucket, 'listMultipartUploads', () =>
      client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
      ),
    );
    for (const upload of out.Uploads ?? []) {
      await call(bucket, 'abortMultipartUpload', async () => {
        try {
          await client.send(
            new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
          );
        } catch (err) {
          // Completed or aborted by someone else since the listing: that is the state we want.
          if (!isNoSuchUpload(err)) throw err;
        }
      });
    }
    [keyMarker, uploadIdMarker] = out.IsTruncated ? [out.NextKeyMarker, out.NextUploadIdMarker] : [];
  } while (keyMarker);
}

async function deleteObjects(client: S3Client, bucket: string, prefix: string): Promise<void> {
  // A continuation token marks the last key listed, so deleting a page does not shift the next one.
  let token: string | undefined;
  do {
    const out = await call(bucket, 'listObjectsV2', () =>
      client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })),
    );
    const keys = (out.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length > 0) {
      const result = await call(bucket, 'deleteObjects', () =>
        client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } })),
      );
      const failed = result.Errors?.[0];
      if (failed) {
        throw new StorageError({
          provider: 'aws',
          bucket,
          operation: 'deleteObjects',
          code: failed.Code ?? 'UnknownError',
          key: failed.Key,
          cause: new Error(
            `${result.Errors?.length} of ${keys.length} deletes failed: ${failed.Message ?? ''}`,
          ),
        });
      }
    }
    token = out.IsTruncated ? out.NextContinuationToken : undefined;
  } while (token);
}

async function call<T>(bucket: string, operation: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    throw s3Failure(err, { bucket, operation });
  }
}
