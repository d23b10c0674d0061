// The web dashboard: one static page (no build step) that reads the REST API and follows a
// build's log over SSE. Everything it shows goes through textContent, never innerHTML, so
// branch names and log lines cannot inject markup.
import { Router } from 'express';

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Slipway</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
  header { background: #12324a; color: #fff; padding: 10px 20px; font-weight: 600; }
  main { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; padding: 16px 20px; }
  section { background: #fff; border: 1px solid #dde1e6; border-radius: 6px; padding: 12px; overflow: auto; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eef0f3; white-space: nowrap; }
  tr.build { cursor: pointer; }
  tr.build:hover { background: #eef5fb; }
  .succeeded { color: #1a7f37; } .failed { color: #cf222e; } .running { color: #9a6700; }
  .cancelled, .queued { color: #57606a; }
  #log { grid-column: 1 / 3; }
  pre { background: #0d1117; color: #e6edf3; padding: 10px; min-height: 120px; max-height: 420px; overflow: auto; margin: 0; }
</style>
</head>
<body>
<header>Slipway</header>
<main>
  <section><h2>Builds</h2><table><thead><tr><th>build</th><th>branch</th><th>sha</th><th>status</th><th>created</th></tr></thead><tbody id="builds"></tbody></table></section>
  <section><h2>Environments</h2><table><thead><tr><th>environment</th><th>namespace</th><th>status</th><th>last build</th><th>expires</th></tr></thead><tbody id="envs"></tbody></table></section>
  <section id="log"><h2 id="log-title">Log</h2><pre id="log-text">Select a build.</pre></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
function row(cells, cls) {
  const tr = document.createElement('tr');
  if (cls) tr.className = cls;
  for (const c of cells) {
    const td = document.createElement('td');
    td.textContent = c.text ?? '';
    if (c.cls) td.className = c.cls;
    tr.appendChild(td);
  }
  return tr;
}
async function getJson(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(url + ': ' + res.status);
  return res.json();
}
async function refresh() {
  try {
    const pipelines = await getJson('/api/pipelines');
    const list = Array.isArray(pipelines) ? pipelines : (pipelines.pipelines ?? []);
    const builds = [];
    for (const p of list) {
      const r = await getJson('/api/pipelines/' + encodeURIComponent(p.name) + '/builds?limit=20');
      builds.push(...(Array.isArray(r) ? r : (r.builds ?? [])));
    }
    builds.sort((a, b) => (b.createdAt ?? '').localeCompare(a.createdAt ?? ''));
    const tbody = $('builds');
    tbody.replaceChildren(...builds.slice(0, 50).map((b) => {
      const tr = row([{ text: b.id }, { text: b.branch ?? b.tag ?? '' }, { text: (b.sha ?? '').slice(0, 8) },
        { text: b.status, cls: b.status }, { text: new Date(b.createdAt).toLocaleTimeString() }], 'build');
      tr.dataset.id = b.id;
      tr.addEventListener('click', () => follow(b.id));
      return tr;
    }));
    const envs = await getJson('/api/environments');
    const envList = Array.isArray(envs) ? envs : (envs.environments ?? []);
    $('envs').replaceChildren(...envList.map((e) => row([{ text: e.id }, { text: e.namespace },
      { text: e.status, cls: e.status === 'ready' ? 'succeeded' : e.status }, { text: e.lastBuild ?? '' },
      { text: e.expiresAt ? new Date(e.expiresAt).toLocaleString() : 'never' }])));
  } catch (err) {
    console.error(err);
  }
}
let source;
function follow(id) {
  if (source) source.close();
  $('log-title').textContent = 'Log of ' + id;
  const pre = $('log-text');
  pre.textContent = '';
  source = new EventSource('/api/builds/' + encodeURIComponent(id) + '/log');
  source.onmessage = (ev) => { pre.textContent += ev.data + '\\n'; pre.scrollTop = pre.scrollHeight; };
  source.addEventListener('end', (ev) => {
    let status = ev.data;
    try { status = JSON.parse(ev.data).status ?? status; } catch {}
    pre.textContent += '--- build ' + status + ' ---\\n';
    source.close();
    void refresh();
  });
}
void refresh();
setInterval(refresh, 3000);
// /builds/<id> (the commit status target_url) opens that build's log
const linked = /^\\/builds\\/([^/]+)$/.exec(location.pathname);
if (linked) follow(decodeURIComponent(linked[1]));
</script>
</body>
</html>`;

export function createDashboard(): Router {
  const router = Router();
  router.get(['/', '/builds/:id'], (_req, res) => {
    res.type('html').set('Cache-Control', 'no-store').send(PAGE);
  });
  return router;
}
