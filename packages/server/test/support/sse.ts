export interface SseMessage {
  event: string;
  id: string;
  data: unknown;
}

/** Reads Server-Sent Events from a streaming response until `until` holds, then cancels the stream. */
export async function readEvents(
  res: Pick<Response, 'body' | 'status'>,
  until: (messages: SseMessage[]) => boolean,
  timeoutMs = 5000,
): Promise<SseMessage[]> {
  if (!res.body) throw new Error(`no body (status ${res.status})`);
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const messages: SseMessage[] = [];
  let buffer = '';
  const timer = setTimeout(() => void reader.cancel(new Error('timeout')), timeoutMs);
  try {
    while (!until(messages)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`stream ended after ${JSON.stringify(messages)}`);
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((line) => !line.startsWith(':'))
            .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()]),
        );
        if (fields.event)
          messages.push({ event: fields.event, id: fields.id ?? '', data: JSON.parse(fields.data ?? '') });
        end = buffer.indexOf('\n\n');
      }
    }
    return messages;
  } finally {
    clearTimeout(timer);
    await reader.cancel();
  }
}
