// Slipway's dashboard, plain browser JavaScript (no build step). Every node is made with
// createElement and textContent; the only HTML assigned is ansi_up's, which escapes the log line
// before colouring it. Pages stay live through one EventSource on /api/events (and the log's own);
// nothing polls.
import { AnsiUp } from '/ui/vendor/ansi_up.js';

const TOKEN_KEY = 'slipway.token';
const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'];
const PAGE_SIZE = 25;
const main = document.getElementById('main');

// ---------- small helpers ----------

/** h('a', { href: '/x', className: 'y' }, 'text', child): an element; strings become text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'className') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** Replaces el's children; null, undefined and false are left out. */
function put(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== undefined && c !== null && c !== false));
}

const token = () => sessionStorage.getItem(TOKEN_KEY);

function announce(text) {
  const region = document.getElementById('announce');
  region.textContent = '';
  setTimeout(() => (region.textContent = text), 50);
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET' && token()) headers.authorization = `Bearer ${token()}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let parsed;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = {};
  }
  if (!res.ok) throw new ApiError(res.status, parsed.error?.message ?? `${method} ${path} answered ${res.status}`);
  return parsed;
}

const enc = encodeURIComponent;
const buildHref = (id) => `/builds/${enc(id)}`;
const pipelineHref = (name, query) => `/pipelines/${enc(name)}${query ? `?${query}` : ''}`;
const numberOf = (id) => Number(/-(\d+)$/.exec(id ?? '')?.[1] ?? NaN);
const refOf = (b) => b.branch ?? (b.tag !== undefined ? `tag ${b.tag}` : '');
const shortSha = (sha) => (sha ? sha.slice(0, 7) : '(branch head)');
const firstLine = (text) => (text ?? '').split('\n', 1)[0];

function statusBadge(status) {
  return h('span', { className: `status status-${status}` }, status);
}

/** A link only for http(s) URLs: anything else (javascript:, data:) is shown as text. */
function safeLink(url, text) {
  try {
    const u = new URL(url, location.href);
    if (u.protocol === 'http:' || u.protocol === 'https:') return h('a', { href: u.href, rel: 'noopener noreferrer' }, text ?? url);
  } catch {
    // not a URL
  }
  return h('span', {}, text ?? url);
}

function fmtTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

function fmtDuration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A duration that ticks while `finishedAt` is missing (the clock only: no request). */
function duration(startedAt, finishedAt) {
  const el = h('span', { className: 'duration' });
  if (!startedAt) return el;
  el.dataset.start = startedAt;
  if (finishedAt) el.dataset.end = finishedAt;
  tick(el);
  return el;
}

function tick(el) {
  const start = Date.parse(el.dataset.start);
  const end = el.dataset.end ? Date.parse(el.dataset.end) : Date.now();
  el.textContent = fmtDuration(end - start);
}
setInterval(() => document.querySelectorAll('.duration[data-start]:not([data-end])').forEach(tick), 1000);

function triggerText(b) {
  const t = b.trigger ?? {};
  if (t.type === 'push') return t.by ? `push by ${t.by}` : 'push';
  if (t.type === 'manual') return t.by ? `manual by ${t.by}` : 'manual';
  if (t.type === 'rerun') {
    const of = t.rerunOf ? h('a', { href: buildHref(t.rerunOf) }, `#${numberOf(t.rerunOf)}`) : '';
    return h('span', {}, 're-run of ', of, t.by ? ` by ${t.by}` : '');
  }
  return t.type ?? '';
}

function setTitle(text) {
  document.title = `${text} · Slipway`;
}

// ---------- builds as this page knows them ----------

const FINAL = ['succeeded', 'failed', 'cancelled'];
/** The final record of each build that the page has had one of. */
const finalRecords = new Map();
/**
 * The one owner of which record of a build a page shows, on every page: each record that comes (an
 * event, a page's read, a re-read after a reconnect, Cancel's answer) goes through take(), and the
 * page shows what it gives back. A build only moves forward and a final record is its last: a record
 * of an earlier, unfinished state (Cancel's answer, read before the runner stopped the build; a read
 * answered before the final event arrived) never replaces a final one the page has had, whichever
 * way that came.
 */
function take(b) {
  if (!FINAL.includes(b.status)) return finalRecords.get(b.id) ?? b;
  finalRecords.set(b.id, b);
  return b;
}

/** The newest record of each environment the page has had (by updatedAt: each change of the record sets it). */
const environmentRecords = new Map();
/**
 * The one owner of which record of an environment a page shows, as take() is for builds: each
 * record that comes (an event, the page's read, a re-read after a reconnect) goes through it, and a
 * record older than one the page has had (a read answered before a teardown's event arrived) never
 * replaces it, so a torn-down environment does not come back.
 */
function takeEnvironment(e) {
  const known = environmentRecords.get(e.id);
  if (known && Date.parse(known.updatedAt) > Date.parse(e.updatedAt)) return known;
  environmentRecords.set(e.id, e);
  return e;
}

/**
 * The records of one kind the event stream carries, through their owner `take`: a page reads its
 * view with read(path, draw), where `draw(answer)` shows the answer (each record in it through
 * take()) and gives back how the view it drew follows an event of that kind. No event is lost to
 * the read: one that comes while the read is answered still goes to the view shown meanwhile (if
 * any), and is given to the new view right after it is drawn (through take() again, so a newer
 * record than the read had stays), before any later event; the view drawn replaces the one before it.
 */
function recordFeed(take) {
  /** How the page's view follows events (the last view drawn). */
  let follow = () => undefined;
  /** Events held for reads being answered. */
  const held = new Set();
  return {
    /** An event's record: through take(), to the reads being answered and to the view. */
    event(record) {
      const r = take(record);
      for (const hold of held) hold(r);
      follow(r);
    },
    async read(path, draw) {
      const during = [];
      const hold = (r) => during.push(r);
      held.add(hold);
      let answer;
      try {
        answer = await api(path);
      } finally {
        held.delete(hold);
      }
      const next = draw(answer);
      for (const r of during) next(take(r));
      follow = next;
    },
  };
}

const buildFeed = recordFeed(take);
const environmentFeed = recordFeed(takeEnvironment);
/** Reads `path` for a view of builds (recordFeed's read: `draw` takes each build through take()). */
const readBuilds = (path, draw) => buildFeed.read(path, draw);

// ---------- the one event stream ----------

const listeners = { reconnect: new Set() };
/** Resolves at the stream's first hello: from then on no change is missed. */
let streamOpen;
function startEvents() {
  const source = new EventSource('/api/events');
  let opened;
  streamOpen = new Promise((resolve) => (opened = resolve));
  source.addEventListener('hello', () => {
    // The stream listens from now on. What a page read before may have changed meanwhile (before
    // the first hello, when the page could not wait for it; before a later one, while the stream
    // was down), and such a change is only in the API: pages read it again.
    opened();
    for (const fn of listeners.reconnect) fn();
  });
  const parse = (ev) => {
    try {
      return JSON.parse(ev.data);
    } catch {
      return undefined;
    }
  };
  source.addEventListener('build', (ev) => {
    const record = parse(ev);
    if (record) buildFeed.event(record);
  });
  source.addEventListener('environment', (ev) => {
    const record = parse(ev);
    if (record) environmentFeed.event(record);
  });
  window.addEventListener('pagehide', () => source.close());
}

// ---------- sign-in ----------

const authListeners = new Set();
function renderSession() {
  const box = document.getElementById('session');
  if (token()) {
    put(box, 
      h('span', {}, 'Signed in'),
      h('button', { type: 'button', onclick: () => {
        sessionStorage.removeItem(TOKEN_KEY);
        renderSession();
        announce('Signed out');
      } }, 'Sign out'),
    );
  } else {
    put(box, h('button', { type: 'button', onclick: openSignIn }, 'Sign in'));
  }
  for (const fn of authListeners) fn();
}

function openSignIn() {
  const input = h('input', { type: 'password', name: 'token', id: 'token-input', autocomplete: 'current-password', required: true });
  const error = h('p', { className: 'error-text', role: 'alert' });
  const dialog = h('dialog', { 'aria-labelledby': 'sign-in-title' });
  const form = h(
    'form',
    {
      method: 'dialog',
      onsubmit: async (ev) => {
        ev.preventDefault();
        const value = input.value.trim();
        const res = await fetch('/api/token', { headers: { authorization: `Bearer ${value}` } });
        if (!res.ok) {
          error.textContent = res.status === 401 ? 'That token is not this server’s API token.' : `Sign-in failed (${res.status}).`;
          input.focus();
          return;
        }
        sessionStorage.setItem(TOKEN_KEY, value);
        dialog.close();
        dialog.remove();
        renderSession();
        announce('Signed in');
      },
    },
    h('h2', { id: 'sign-in-title' }, 'Sign in'),
    h('p', {}, 'Rerun, Cancel and Delete need the API token (slipway up prints it; it is in .slipway/token). It is kept for this browser tab’s session only.'),
    h('label', { for: 'token-input' }, 'API token', input),
    error,
    h('div', { className: 'actions' }, h('button', { type: 'submit', className: 'primary' }, 'Sign in'), h('button', { type: 'button', onclick: () => (dialog.close(), dialog.remove()) }, 'Cancel')),
  );
  dialog.append(form);
  document.body.append(dialog);
  dialog.showModal();
  input.focus();
}

/** Why a write is not possible now, or undefined when it is. */
function writeBlocked() {
  return token() ? undefined : 'Sign in with the API token to use this.';
}

// ---------- pages ----------

function pageError(title, err) {
  setTitle(title);
  put(main, h('h1', {}, title), h('p', { className: 'error-text', role: 'alert' }, err instanceof Error ? err.message : String(err)));
}

// / : pipelines, each with its branches' latest builds
async function pipelinesPage() {
  setTitle('Pipelines');
  const render = () => readBuilds('/api/pipelines', ({ pipelines }) => {
    const sections = pipelines.map((p) => {
      const tbody = h('tbody');
      const rows = new Map();
      const rowFor = (ref, b) =>
        h(
          'tr',
          { dataset: { ref } },
          h('th', { scope: 'row' }, ref),
          h('td', {}, h('a', { href: buildHref(b.id) }, `#${b.number}`)),
          h('td', {}, statusBadge(b.status)),
          h('td', { className: 'msg' }, h('code', {}, shortSha(b.sha)), ' ', firstLine(b.commit?.message)),
          h('td', {}, fmtTime(b.createdAt)),
        );
      for (const { ref, lastBuild } of p.branches) {
        const row = rowFor(ref, take(lastBuild));
        rows.set(ref, { row, number: lastBuild.number });
        tbody.append(row);
      }
      const table = h(
        'table',
        {},
        h('caption', { className: 'visually-hidden' }, `Latest build of each branch of ${p.name}`),
        h('thead', {}, h('tr', {}, ['Branch', 'Build', 'Status', 'Commit', 'Created'].map((c) => h('th', { scope: 'col' }, c)))),
        tbody,
      );
      const empty = h('p', { className: 'empty' }, 'No builds yet.');
      const section = h(
        'section',
        { className: 'card', 'aria-labelledby': `p-${p.name}`, dataset: { pipeline: p.name } },
        h('h2', { id: `p-${p.name}` }, h('a', { href: pipelineHref(p.name) }, p.name), ' ', h('img', { className: 'badge', src: `/api/pipelines/${enc(p.name)}/badge.svg`, alt: '' })),
        h('p', {}, h('span', { className: 'mono' }, p.repo)),
        p.branches.length ? table : empty,
      );
      section.update = (b) => {
        const ref = refOf(b);
        if (!ref) return;
        const known = rows.get(ref);
        if (known && known.number > b.number) return; // an older build of the branch changed
        const row = rowFor(ref, b);
        if (known && known.number === b.number) known.row.replaceWith(row);
        else {
          known?.row.remove();
          tbody.prepend(row); // the branch with the newest build first
        }
        rows.set(ref, { row, number: b.number });
        if (empty.isConnected) empty.replaceWith(table);
      };
      return section;
    });
    put(main, h('h1', {}, 'Pipelines'), ...(sections.length ? sections : [h('p', { className: 'empty' }, 'No pipelines: put pipeline files in the folder SLIPWAY_PIPELINES names (./pipelines).')]));
    return (b) => sections.find((s) => s.dataset.pipeline === b.pipeline)?.update(b);
  });
  listeners.reconnect.add(() => void render().catch(() => undefined));
  await render();
}

// /pipelines/<name>?branch=&status=&before= : its builds, newest first, paged
async function pipelinePage(name) {
  setTitle(name);
  const params = new URLSearchParams(location.search);
  const branch = params.get('branch') || undefined;
  const status = STATUSES.includes(params.get('status')) ? params.get('status') : undefined;
  const before = /^\d+$/.test(params.get('before') ?? '') ? Number(params.get('before')) : undefined;
  const query = (extra) => {
    const q = new URLSearchParams();
    if (branch) q.set('branch', branch);
    if (status) q.set('status', status);
    for (const [k, v] of Object.entries(extra ?? {})) if (v !== undefined) q.set(k, String(v));
    return q.toString();
  };
  const render = () => readBuilds(`/api/pipelines/${enc(name)}/builds?${query({ limit: PAGE_SIZE + 1, before })}`, ({ builds }) => {
    const more = builds.length > PAGE_SIZE;
    const shown = builds.slice(0, PAGE_SIZE).map(take);
    const tbody = h('tbody');
    const rowFor = (b) =>
      h(
        'tr',
        { dataset: { id: b.id } },
        h('th', { scope: 'row' }, h('a', { href: buildHref(b.id) }, `#${b.number}`)),
        h('td', {}, statusBadge(b.status)),
        h('td', {}, refOf(b)),
        h('td', { className: 'msg' }, h('code', {}, shortSha(b.sha)), ' ', firstLine(b.commit?.message)),
        h('td', {}, triggerText(b)),
        h('td', {}, fmtTime(b.startedAt ?? b.createdAt)),
        h('td', {}, duration(b.startedAt, b.finishedAt)),
      );
    tbody.append(...shown.map(rowFor));
    const statusSelect = h('select', { name: 'status', id: 'f-status' }, h('option', { value: '' }, 'any'), STATUSES.map((s) => h('option', { value: s, selected: s === status }, s)));
    const form = h(
      'form',
      { className: 'filters', method: 'get', action: pipelineHref(name), role: 'search', 'aria-label': 'Filter builds' },
      h('label', { for: 'f-branch' }, 'Branch', h('input', { name: 'branch', id: 'f-branch', value: branch ?? '' })),
      h('label', { for: 'f-status' }, 'Status', statusSelect),
      h('button', { type: 'submit' }, 'Filter'),
      branch || status ? h('a', { href: pipelineHref(name) }, 'Clear filters') : null,
    );
    const pager = h(
      'nav',
      { className: 'pager', 'aria-label': 'Pages' },
      before !== undefined ? h('a', { href: pipelineHref(name, query()) }, 'Newest builds') : null,
      more ? h('a', { href: pipelineHref(name, query({ before: shown[shown.length - 1].number })) }, 'Older builds') : null,
    );
    put(main, 
      h('h1', {}, name, ' ', h('img', { className: 'badge', src: `/api/pipelines/${enc(name)}/badge.svg${branch ? `?branch=${enc(branch)}` : ''}`, alt: '' })),
      form,
      shown.length
        ? h(
            'table',
            {},
            h('caption', { className: 'visually-hidden' }, `Builds of ${name}, newest first`),
            h('thead', {}, h('tr', {}, ['Build', 'Status', 'Branch or tag', 'Commit', 'Started by', 'Started', 'Duration'].map((c) => h('th', { scope: 'col' }, c)))),
            tbody,
          )
        : h('p', { className: 'empty' }, 'No builds match.'),
      pager,
    );
    return (b) => {
      if (b.pipeline !== name) return;
      const existing = tbody.querySelector(`tr[data-id="${CSS.escape(b.id)}"]`);
      if (existing) {
        existing.replaceWith(rowFor(b));
        return;
      }
      if (before !== undefined || (branch && b.branch !== branch) || (status && b.status !== status)) return;
      if (!tbody.isConnected) return void render();
      tbody.prepend(rowFor(b));
      while (tbody.children.length > PAGE_SIZE) tbody.lastElementChild.remove();
    };
  });
  listeners.reconnect.add(() => void render().catch(() => undefined));
  await render();
}

// /builds/<id> : one build
async function buildPage(id) {
  let build;
  let shown = false;
  const onBuild = (b) => {
    if (b.id !== id) return;
    build = b;
    if (shown) renderAll();
  };
  const read = (draw) =>
    readBuilds(`/api/builds/${enc(id)}`, (answer) => {
      build = take(answer);
      draw();
      return onBuild;
    });
  try {
    await read(() => undefined); // the page is drawn below, once
  } catch (err) {
    return pageError(err.status === 404 ? 'Build not found' : 'Build', err);
  }
  setTitle(`${build.pipeline} #${build.number}`);
  let selected;
  const heading = h('h1');
  const actions = h('div', { className: 'actions' });
  const facts = h('dl', { className: 'facts' });
  const stages = h('ol', { className: 'stages', 'aria-label': 'Stages' });
  const stageDetail = h('div', { className: 'stage-detail', id: 'stage-detail', 'aria-live': 'polite' });
  const images = h('div');
  const environment = h('div');
  const followBox = h('input', { type: 'checkbox', id: 'follow', checked: true });
  const log = h('div', { className: 'log', id: 'log', role: 'log', 'aria-label': 'Build log', 'aria-live': 'off', tabindex: '0' });

  const fact = (term, ...value) => [h('dt', {}, term), h('dd', {}, ...value)];
  function renderAll() {
    put(heading, `${build.pipeline} #${build.number} `, statusBadge(build.status));
    const blocked = writeBlocked();
    const cancellable = build.status === 'queued' || build.status === 'running';
    const why = blocked ?? (cancellable ? undefined : `Cancel is for queued or running builds; this one ${build.status === 'cancelled' ? 'was cancelled' : build.status}.`);
    const rerun = h('button', { type: 'button', className: 'primary', disabled: !!blocked, 'aria-describedby': blocked ? 'actions-why' : undefined, onclick: doRerun }, 'Rerun');
    const cancel = h('button', { type: 'button', className: 'danger', disabled: !!(blocked || !cancellable), 'aria-describedby': why ? 'actions-why' : undefined, onclick: doCancel }, 'Cancel');
    put(actions, rerun, cancel, why ? h('p', { className: 'why', id: 'actions-why' }, why) : null);
    put(facts, 
      ...fact('Status', statusBadge(build.status), build.reason ? ` ${build.reason}` : ''),
      ...fact('Pipeline', h('a', { href: pipelineHref(build.pipeline) }, build.pipeline)),
      ...fact(build.tag !== undefined ? 'Tag' : 'Branch', build.tag ?? build.branch ?? ''),
      ...fact('Commit', h('code', { title: build.sha }, shortSha(build.sha))),
      ...(build.commit ? [...fact('Message', h('pre', { className: 'commit-message' }, build.commit.message.trimEnd())), ...(build.commit.author ? fact('Author', build.commit.author) : [])] : []),
      ...fact('Started by', triggerText(build)),
      ...fact('Queued at', fmtTime(build.createdAt)),
      ...fact('Started at', build.startedAt ? fmtTime(build.startedAt) : 'not yet'),
      ...fact('Duration', duration(build.startedAt, build.finishedAt)),
    );
    const failed = build.stages.find((s) => s.status === 'failed');
    if (!selected || !build.stages.some((s) => s.name === selected)) selected = (failed ?? build.stages.find((s) => s.status === 'running'))?.name;
    put(stages, 
      ...(build.stages.length
        ? build.stages.map((s) =>
            h(
              'li',
              {},
              h(
                'button',
                { type: 'button', 'aria-pressed': String(s.name === selected), 'aria-controls': 'stage-detail', dataset: { stage: s.name }, onclick: () => ((selected = s.name), renderAll()) },
                h('span', {}, s.name),
                h('span', {}, statusBadge(s.status), ' ', duration(s.startedAt, s.finishedAt)),
              ),
            ),
          )
        : [h('li', { className: 'empty' }, build.status === 'queued' ? 'Waiting for a runner.' : 'No stages ran.')]),
    );
    const stage = build.stages.find((s) => s.name === selected);
    put(stageDetail, 
      ...(stage
        ? [
            h('h3', {}, `Stage ${stage.name}: `, statusBadge(stage.status)),
            h('p', {}, stage.startedAt ? `Started ${fmtTime(stage.startedAt)}, took ` : 'Not started', stage.startedAt ? duration(stage.startedAt, stage.finishedAt) : ''),
            stage.error ? h('pre', { className: 'stage-error' }, stage.error) : null,
          ]
        : []),
    );
    put(images, 
      build.images.length
        ? h(
            'table',
            {},
            h('thead', {}, h('tr', {}, ['Image', 'Tag', 'Digest'].map((c) => h('th', { scope: 'col' }, c)))),
            h('tbody', {}, build.images.map((i) => h('tr', {}, h('td', { className: 'mono' }, i.name), h('td', { className: 'mono' }, i.tag), h('td', { className: 'mono' }, i.digest)))),
          )
        : h('p', { className: 'empty' }, 'No images pushed.'),
    );
    const env = build.environment;
    put(environment, 
      env
        ? h('dl', { className: 'facts' }, ...fact('Namespace', h('a', { href: '/environments' }, env.namespace)), ...fact('URL', env.url ? safeLink(env.url) : 'none'), ...fact('Releases', env.releases.join(', ')))
        : h('p', { className: 'empty' }, 'Not deployed.'),
    );
  }

  async function doRerun() {
    try {
      const next = await api(`/api/builds/${enc(build.id)}/rerun`, { method: 'POST' });
      location.assign(buildHref(next.id));
    } catch (err) {
      announce(`Rerun failed: ${err.message}`);
      actions.append(h('p', { className: 'error-text', role: 'alert' }, `Rerun failed: ${err.message}`));
    }
  }
  async function doCancel() {
    try {
      const res = await api(`/api/builds/${enc(build.id)}/cancel`, { method: 'POST' });
      build = take(res.build);
      renderAll();
      announce(res.outcome === 'cancelled' ? 'Build cancelled' : 'Stop requested: a deploy that has started finishes first');
    } catch (err) {
      actions.append(h('p', { className: 'error-text', role: 'alert' }, `Cancel failed: ${err.message}`));
    }
  }

  renderAll();
  shown = true;
  put(main, 
    heading,
    actions,
    h('div', { className: 'layout' },
      h('div', {},
        h('section', { className: 'card', 'aria-labelledby': 'h-details' }, h('h2', { id: 'h-details' }, 'Details'), facts),
        h('section', { className: 'card', 'aria-labelledby': 'h-stages' }, h('h2', { id: 'h-stages' }, 'Stages'), stages, stageDetail),
        h('section', { className: 'card', 'aria-labelledby': 'h-images' }, h('h2', { id: 'h-images' }, 'Images'), images),
        h('section', { className: 'card', 'aria-labelledby': 'h-env' }, h('h2', { id: 'h-env' }, 'Environment'), environment),
      ),
      h('section', { className: 'card', 'aria-labelledby': 'h-log' },
        h('h2', { id: 'h-log' }, 'Log'),
        h('div', { className: 'log-tools' }, h('label', { for: 'follow' }, followBox, ' Follow'), h('a', { href: `/api/builds/${enc(build.id)}/log` }, 'Raw log')),
        log,
      ),
    ),
  );
  authListeners.add(renderAll);
  listeners.reconnect.add(() => void read(renderAll).catch(() => undefined));
  followLog(build.id, log, followBox);
}

/** The log over its own SSE stream (EventSource resumes with Last-Event-ID by itself). */
function followLog(id, log, followBox) {
  const ansi = new AnsiUp();
  ansi.use_classes = true;
  ansi.escape_html = true;
  const wanted = /^#L(\d+)$/.exec(location.hash)?.[1];
  const source = new EventSource(`/api/builds/${enc(id)}/log`);
  const atBottom = () => {
    if (followBox.checked) log.scrollTop = log.scrollHeight;
  };
  source.onmessage = (ev) => {
    const n = ev.lastEventId;
    if (n && document.getElementById(`L${n}`)) return; // a resumed stream sent it again
    const text = h('span', { className: 'text' });
    text.innerHTML = ansi.ansi_to_html(ev.data); // escaped by ansi_up, then coloured
    const line = h('div', { className: 'line', id: `L${n}` }, h('a', { className: 'ln', href: `#L${n}`, 'aria-label': `line ${n}` }, n), text);
    log.append(line);
    if (n === wanted) {
      followBox.checked = false;
      line.classList.add('target');
      line.scrollIntoView({ block: 'center' });
    } else atBottom();
  };
  source.addEventListener('end', (ev) => {
    source.close();
    let status = '';
    try {
      status = JSON.parse(ev.data).status;
    } catch {
      // keep it empty
    }
    log.append(h('div', { className: 'end' }, `build ${status}`));
    atBottom();
  });
  followBox.addEventListener('change', atBottom);
  window.addEventListener('pagehide', () => source.close());
}

// /environments
async function environmentsPage() {
  setTitle('Environments');
  const imagesOf = new Map();
  const imagesCell = (env) => {
    const cell = h('td', { className: 'mono' });
    if (!env.lastBuild) return cell;
    const fill = (imgs) => put(cell, ...(imgs.length ? imgs.map((i) => h('div', {}, `${i.name}:${i.tag}`)) : ['none']));
    if (!imagesOf.has(env.lastBuild)) imagesOf.set(env.lastBuild, api(`/api/builds/${enc(env.lastBuild)}`).then((b) => b.images, () => []));
    void imagesOf.get(env.lastBuild).then(fill);
    return cell;
  };
  const tbody = h('tbody');
  const rowFor = (env) => {
    const blocked = writeBlocked() ?? (env.status === 'tearing-down' ? 'Being torn down.' : undefined);
    const why = blocked ? h('span', { className: 'why', id: `why-${env.id}` }, blocked) : null;
    return h(
      'tr',
      { dataset: { id: env.id } },
      h('th', { scope: 'row', className: 'mono' }, env.namespace),
      h('td', {}, h('a', { href: pipelineHref(env.pipeline) }, env.pipeline)),
      h('td', {}, env.branch),
      h('td', {}, statusBadge(env.status), env.error ? h('div', { className: 'error-text' }, env.error) : null),
      h('td', {}, ...(env.urls.length ? env.urls.map((u) => h('div', {}, safeLink(u))) : ['none'])),
      h('td', {}, env.lastBuild ? h('a', { href: buildHref(env.lastBuild) }, `#${numberOf(env.lastBuild)}`) : ''),
      imagesCell(env),
      h('td', {}, env.expiresAt ? fmtTime(env.expiresAt) : 'never (no TTL)'),
      h(
        'td',
        {},
        h('button', { type: 'button', className: 'danger', disabled: !!blocked, 'aria-describedby': blocked ? `why-${env.id}` : undefined, 'aria-label': `Delete ${env.namespace}`, onclick: () => void remove(env) }, 'Delete'),
        why,
      ),
    );
  };
  async function remove(env) {
    if (!confirm(`Delete the environment ${env.namespace} (${env.pipeline}, branch ${env.branch})? Its releases are uninstalled and the namespace is deleted.`)) return;
    try {
      await api(`/api/environments/${enc(env.id)}`, { method: 'DELETE' });
      announce(`Teardown of ${env.namespace} queued`);
    } catch (err) {
      announce(`Delete failed: ${err.message}`);
      main.append(h('p', { className: 'error-text', role: 'alert' }, `Delete of ${env.namespace} failed: ${err.message}`));
    }
  }
  let current = [];
  const empty = h('p', { className: 'empty' }, 'No environments. A deploy makes one per branch.');
  const table = h(
    'table',
    {},
    h('caption', { className: 'visually-hidden' }, 'Per-branch environments'),
    h('thead', {}, h('tr', {}, ['Namespace', 'Pipeline', 'Branch', 'Status', 'URL', 'Last build', 'Images', 'Expires', 'Actions'].map((c) => h('th', { scope: 'col' }, c)))),
    tbody,
  );
  const draw = () => {
    put(tbody, ...current.map(rowFor));
    (current.length ? empty : table).replaceWith(current.length ? table : empty);
  };
  const byNamespace = (a, b) => a.namespace.localeCompare(b.namespace);
  // each record through takeEnvironment() (environmentFeed): an answer read before a teardown's
  // event arrived does not bring the environment back
  const load = () => environmentFeed.read('/api/environments', ({ environments }) => {
    current = environments.map(takeEnvironment).filter((e) => e.status !== 'deleted').sort(byNamespace);
    draw();
    return (env) => {
      const shown = current.some((e) => e.id === env.id);
      current = current.filter((e) => e.id !== env.id);
      if (env.status !== 'deleted') current = [...current, env].sort(byNamespace);
      else if (shown) announce(`${env.namespace} deleted`);
      draw();
    };
  });
  put(main, h('h1', {}, 'Environments'), table);
  await load();
  authListeners.add(draw);
  listeners.reconnect.add(() => void load().catch(() => undefined));
}

// ---------- routing ----------

function markNav() {
  const path = location.pathname;
  for (const a of document.querySelectorAll('header nav a')) {
    const href = a.getAttribute('href');
    const here = href === '/' ? path === '/' || path.startsWith('/pipelines/') || path.startsWith('/builds/') : path.startsWith(href);
    if (here) a.setAttribute('aria-current', 'page');
  }
}

async function route() {
  markNav();
  renderSession();
  startEvents();
  // a page reads the API once the stream listens, so no change falls between the two; a stream
  // slow to open does not hold the page back (when its hello comes, a page that has read reads again)
  await Promise.race([streamOpen, new Promise((resolve) => setTimeout(resolve, 3000))]);
  const path = location.pathname;
  const m = (re) => re.exec(path);
  try {
    let found;
    if (path === '/') await pipelinesPage();
    else if (path === '/environments') await environmentsPage();
    else if ((found = m(/^\/pipelines\/([^/]+)$/))) await pipelinePage(decodeURIComponent(found[1]));
    else if ((found = m(/^\/builds\/([^/]+)$/))) await buildPage(decodeURIComponent(found[1]));
    else pageError('Not found', `No page ${path}`);
  } catch (err) {
    pageError('Something went wrong', err);
  }
  document.body.dataset.ready = 'true';
}

void route();
