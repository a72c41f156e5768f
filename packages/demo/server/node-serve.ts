import type { Server } from 'node:http';
import { createRequire } from 'node:module';

type Serve = (
  options: { fetch: (request: Request) => Response | Promise<Response>; port: number; hostname: string },
  listening?: (info: { address: string; port: number }) => void,
) => Server;

/**
 * `serve` from @hono/node-server, the adapter @callrec/server runs on. The demo has no dependency
 * of its own on it, so it is loaded through the server package (same copy, same version).
 * TODO(lead): add @hono/node-server to the demo's devDependencies and import it directly.
 */
const fromServerPackage = createRequire(import.meta.resolve('@callrec/server'));
export const serve = (fromServerPackage('@hono/node-server') as { serve: Serve }).serve;
