// What a custom build command gets of the runner (runner/builder-access.ts): storage roots from
// storage.conf (or buildah's defaults), config and auth files, and only the builder's variables.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from '../../../core/errors.ts';
import { existsSync } from 'node:fs';
import { builderAccessFromEnv, DEFAULT_GRAPHROOT, DEFAULT_RUNROOT, ensureStorage, POLICY_FILE, storageRoots, SYSTEM_CONFIG } from '../../../runner/builder-access.ts';

const dirs: string[] = [];
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function dir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'slipway-builder-access-'));
  dirs.push(d);
  return d;
}

void test('storageRoots reads graphroot and runroot of the [storage] table only', () => {
  const text = [
    '# comment graphroot = "/nope"',
    '[storage]',
    'driver = "vfs"',
    'graphroot = "/srv/st\\u00e9/graph" # trailing comment',
    "runroot = '/run/lit\\eral'",
    '[storage.options]',
    'graphroot = "/not/this"',
    '[[registry]]',
    'runroot = "/nor/this"',
  ].join('\n');
  assert.deepEqual(storageRoots(text), { graphroot: '/srv/sté/graph', runroot: '/run/lit\\eral' });
  assert.deepEqual(storageRoots('[storage]\ndriver = "overlay"\n'), {});
  assert.throws(() => storageRoots('[storage]\ngraphroot = "/open\n', 'x.conf'), (e: unknown) => e instanceof ConfigError && /x\.conf:2: graphroot: unterminated/.test(e.message));
  assert.throws(() => storageRoots('[storage]\ngraphroot = /bare\n'), ConfigError);
});

void test('builderAccessFromEnv: storage from CONTAINERS_STORAGE_CONF, config and auth read-only, only the builder variables', async () => {
  const d = await dir();
  const conf = path.join(d, 'storage.conf');
  const reg = path.join(d, 'registries.conf');
  const auth = path.join(d, 'auth.json');
  await writeFile(conf, '[storage]\ndriver = "vfs"\ngraphroot = "/g/root"\nrunroot = "/r/root"\n');
  await writeFile(reg, 'unqualified-search-registries = []\n');
  await writeFile(auth, '{}');
  const env = { CONTAINERS_STORAGE_CONF: conf, CONTAINERS_REGISTRIES_CONF: reg, REGISTRY_AUTH_FILE: auth, STORAGE_DRIVER: 'vfs', KUBECONFIG: '/k', SLIPWAY_API_TOKEN: 'secret', TMPDIR: '/x' };
  const a = builderAccessFromEnv(env);
  assert.deepEqual(a.storage, ['/g/root', '/r/root']);
  assert.equal(a.authFile, auth);
  assert.deepEqual(a.config?.slice(0, 2), [conf, reg]);
  assert.deepEqual(a.env, { BUILDAH_ISOLATION: 'chroot', CONTAINERS_STORAGE_CONF: conf, CONTAINERS_REGISTRIES_CONF: reg, STORAGE_DRIVER: 'vfs' });
});

void test('builderAccessFromEnv: buildah defaults, DOCKER_CONFIG/config.json, an unreadable storage.conf is a ConfigError', async () => {
  const d = await dir();
  await writeFile(path.join(d, 'config.json'), '{}');
  const a = builderAccessFromEnv({ DOCKER_CONFIG: d });
  assert.deepEqual(a.storage, [DEFAULT_GRAPHROOT, DEFAULT_RUNROOT]);
  assert.equal(a.authFile, path.join(d, 'config.json'));
  assert.deepEqual(a.env, { BUILDAH_ISOLATION: 'chroot' });
  assert.equal(builderAccessFromEnv({}).authFile, undefined);
  assert.throws(() => builderAccessFromEnv({ CONTAINERS_STORAGE_CONF: path.join(d, 'missing.conf') }), (e: unknown) => e instanceof ConfigError && /missing\.conf.*ENOENT/.test(e.message));
});

void test('builderAccessFromEnv: the system containers configuration that exists, registries.conf.d too, the variables\' files first, nothing else of /etc/containers', () => {
  const a = builderAccessFromEnv({});
  const expected = [...SYSTEM_CONFIG, POLICY_FILE].filter((f) => existsSync(f));
  assert.deepEqual(a.config, expected);
  assert.ok(!(a.config ?? []).some((f) => f.includes('certs.d')));
});

void test('ensureStorage creates the storage directories that are bound into the sandbox', async () => {
  const d = await dir();
  const graph = path.join(d, 'graph', 'root');
  const run = path.join(d, 'run');
  await ensureStorage({ storage: [graph, run] });
  assert.ok(existsSync(graph) && existsSync(run));
});
