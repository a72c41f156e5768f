import { createS3Client } from '../packages/server/src/storage/s3-client.js';
import { deleteUnderPrefix } from '../packages/server/src/storage/s3-prefix.js';
import { s3Env } from './env.js';
import { DeleteBucketCommand } from './s3-sdk.js';

/** Removes this run's bucket with whatever a failed test left in it (the memory-backed RGW keeps it otherwise). */
export default async function globalTeardown(): Promise<void> {
  const s3 = s3Env();
  if (!s3) return;
  const client = createS3Client(s3);
  await deleteUnderPrefix(client, s3.bucket, '');
  await client.send(new DeleteBucketCommand({ Bucket: s3.bucket }));
}
