// A local HTTP server on 127.0.0.1 standing in for GitHub's or Gitea's statuses API (the forges
// cannot run on these machines): it records every request and answers with `answer`.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** `delayMs` holds the answer to a request (a slow forge); the request is recorded when it arrives. */
export async function forgeStandIn(
  answer: number,
  options: { delayMs?: (req: SeenRequest) => number } = {},
): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const request = { method: req.method!, url: req.url!, headers: req.headers, body: JSON.parse(raw) as Record<string, unknown> };
      seen.push(request);
      const reply = () => res.writeHead(answer, { 'content-type': 'application/json' }).end(answer < 300 ? '{"id":1}' : '{"message":"boom"}');
      const delay = options.delayMs?.(request) ?? 0;
      if (delay > 0) setTimeout(reply, delay);
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
