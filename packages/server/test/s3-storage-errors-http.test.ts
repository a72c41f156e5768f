import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeS3, uniqueName } from './support/s3-test-server.js';
import { registerBody, removeDir, startServer, type TestServer, tokenFor } from './support/server-app.js';

// A storage failure the browser cannot fix (here: the bucket does not exist on a real S3 server)
// reaches the client as a clear 502 naming provider, bucket and operation, with no stack trace.
describeS3('storage errors over HTTP (real RGW)', (s3) => {
  const bucket = uniqueName('callrec-missing');
  let server: TestServer;

  const savedEnv = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };

  beforeAll(async () => {
    // The S3 client takes credentials from the AWS SDK's chain (the process environment).
    process.env.AWS_ACCESS_KEY_ID = s3.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = s3.credentials.secretAccessKey;
    server = await startServer({
      env: {
        RECORDING_STORAGE_PROVIDER: 'aws',
        RECORDING_STORAGE_BUCKET: bucket,
        RECORDING_STORAGE_ENDPOINT: s3.endpoint,
        RECORDING_STORAGE_REGION: s3.region,
        RECORDING_PART_SIZE: String(5 * 1024 * 1024),
        RECORDING_MIN_PART_SIZE: String(5 * 1024 * 1024),
      },
    });
  });
  afterAll(async () => {
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', savedEnv.id],
      ['AWS_SECRET_ACCESS_KEY', savedEnv.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    await server?.close();
    if (server) await removeDir(server.dir);
  });

  it('answers 502 storage_unavailable naming the bucket and the operation', async () => {
    const token = tokenFor('rec-missing-bucket');
    expect((await server.request('POST', '/v1/recordings', { token, json: { roomId: 'r' } })).status).toBe(
      201,
    );
    const res = await server.request('PUT', '/v1/recordings/rec-missing-bucket/tracks/t1', {
      token,
      json: registerBody(),
    });
    expect(res.status).toBe(502);
    const body = await res.json();
    expect(body.error).toMatchObject({
      code: 'storage_unavailable',
      details: { provider: 'aws', bucket, operation: 'createMultipartUpload', code: 'NoSuchBucket' },
    });
    expect(body.error.message).toContain(`bucket "${bucket}"`);
    expect(JSON.stringify(body)).not.toMatch(/\n\s+at /);
    expect(server.logger.errors.map((l) => l.message).join()).toContain(bucket);
  });
});
