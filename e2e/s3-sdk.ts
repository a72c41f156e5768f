import { createRequire } from 'node:module';

/**
 * @aws-sdk/client-s3, borrowed from the server package (same version). The e2e package does not
 * depend on it yet: adding it needs a `pnpm install`, which the team serializes. Once it is a
 * devDependency of e2e, this file becomes `export * from '@aws-sdk/client-s3'`.
 */
type S3Sdk = typeof import('../packages/server/node_modules/@aws-sdk/client-s3/dist-types/index.js');

const fromServer = createRequire(new URL('../packages/server/package.json', import.meta.url));
export const {
  DeleteBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} = fromServer('@aws-sdk/client-s3') as S3Sdk;
