#!/usr/bin/env node
// post-receive hook of the demo repository: for every pushed ref, sends a signed Gogs-style
// webhook to Slipway, as a Gogs server would. Its settings (server URL, secret, clone URL) are in
// slipway-hook.json beside it. Reads only what git gives on stdin; runs no command.
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const settings = JSON.parse(readFileSync(path.join(here, 'slipway-hook.json'), 'utf8'));
const ZERO = /^0+$/;

const input = readFileSync(0, 'utf8');
const repository = {
  id: 1,
  name: settings.name,
  full_name: `demo/${settings.name}`,
  clone_url: settings.cloneUrl,
  html_url: settings.cloneUrl,
  default_branch: 'main',
};
const sender = { id: 1, login: 'demo', username: 'demo' };

async function send(event, body) {
  const raw = JSON.stringify(body);
  const signature = createHmac('sha256', settings.secret).update(raw).digest('hex');
  try {
    const res = await fetch(settings.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-gogs-event': event,
        'x-gogs-delivery': randomUUID(),
        'x-gogs-signature': signature,
      },
      body: raw,
    });
    const text = await res.text();
    console.log(`slipway: ${event} ${body.ref} → ${res.status} ${text}`);
  } catch (err) {
    console.log(`slipway: could not reach ${settings.url}: ${err.message}`);
  }
}

for (const line of input.split('\n')) {
  const [before, after, ref] = line.trim().split(' ');
  if (!ref) continue;
  if (ZERO.test(after) && ref.startsWith('refs/heads/')) {
    await send('delete', { ref: ref.slice('refs/heads/'.length), ref_type: 'branch', pusher_type: 'user', repository, sender });
    continue;
  }
  await send('push', {
    ref,
    before,
    after,
    compare_url: '',
    commits: [{ id: after, message: 'push', url: '', author: { name: 'demo', email: 'demo@example.com', username: 'demo' } }],
    repository,
    pusher: { id: 1, login: 'demo', username: 'demo', email: 'demo@example.com' },
    sender,
  });
}
