// A git server over HTTP on 127.0.0.1 that requires a basic-auth login: the bare repositories
// under `root`, served with git's "dumb" HTTP protocol (the files of the bare repository after
// `git update-server-info`; a real git client fetches them as from any static git host) by a small
// node server that answers 401 with a Basic challenge to a request without the right login, and
// 404 to a path it does not have. It records each request (path, whether it carried the login).
// Dumb HTTP rather than `git http-backend` behind the server: the smart protocol's responses are
// binary, and subprocess output goes through runner/exec.ts, which hands out text lines.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface SeenGitRequest {
  path: string;
  authorized: boolean;
  status: number;
}

export interface GitHttpServer {
  /** http://127.0.0.1:<port> (no credentials) */
  url: string;
  seen: SeenGitRequest[];
  close(): Promise<void>;
}

export async function gitHttpServer(root: string, user: string, password: string): Promise<GitHttpServer> {
  const expected = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const seen: SeenGitRequest[] = [];
  const server = createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const authorized = req.headers.authorization === expected;
    const answer = (status: number, body = '') => {
      seen.push({ path: pathname, authorized, status });
      res.writeHead(status, { 'content-type': 'text/plain', ...(status === 401 ? { 'www-authenticate': 'Basic realm="git"' } : {}) }).end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return answer(405);
    if (!authorized) return answer(401, 'login required\n');
    const file = path.join(root, pathname);
    if (!file.startsWith(`${root}${path.sep}`)) return answer(404);
    stat(file).then(
      (st) => {
        if (!st.isFile()) return answer(404);
        seen.push({ path: pathname, authorized, status: 200 });
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': st.size });
        createReadStream(file).pipe(res);
      },
      () => answer(404, 'not found\n'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
