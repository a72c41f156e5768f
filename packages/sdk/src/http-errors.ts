import { RecordingApiError } from './errors.js';
import type { ApiErrorBody } from './protocol.js';

/** Signed URLs carry credentials in the query; keep them out of error messages and logs. */
export function stripQuery(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : url.slice(0, at);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The server answers `{error:{code,message}}`; S3 and GCS answer XML with `<Code>`/`<Message>`. */
export async function errorFromResponse(response: Response): Promise<RecordingApiError> {
  const fallback = {
    code: `http_${response.status}`,
    message: response.statusText || `HTTP ${response.status}`,
  };
  let text = '';
  try {
    text = await response.text();
  } catch (error) {
    return new RecordingApiError(response.status, fallback.code, fallback.message, { cause: error });
  }
  try {
    const body = JSON.parse(text) as Partial<ApiErrorBody>;
    if (body.error && typeof body.error.code === 'string') {
      return new RecordingApiError(response.status, body.error.code, body.error.message ?? fallback.message, {
        details: body.error.details,
      });
    }
  } catch {
    // Not JSON: fall through to the XML form storage providers use.
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return new RecordingApiError(response.status, code ?? fallback.code, message ?? fallback.message);
}
