// Registry credentials reach buildah through REGISTRY_AUTH_FILE, never through argv: a registry of
// the test's own (Debian's docker-registry on a free loopback port) requires htpasswd logins, the
// runner pushes there with an auth file, the push succeeds (so the credentials were used), and no
// argv recorded at the exec door carries the password or its base64 forms.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startAuthRegistry } from '../../helpers/auth-registry.ts';
import { testenv } from '../../helpers/testenv.ts';
import { runnerHarness } from './harness.ts';

void test('registry credentials never in argv: a push to a registry that requires a login succeeds through the auth file', async () => {
  const user = 'slipway-pusher';
  const password = 'Pu5h/s3cret+Reg&';
  const reg = await startAuthRegistry(user, password);
  const { host, basic } = reg;
  const savedAuth = process.env.REGISTRY_AUTH_FILE;
  const h = await runnerHarness();
  const savedRegistries = process.env.CONTAINERS_REGISTRIES_CONF;
  try {
    // buildah's layer cache is pushed there too, over plain HTTP: the testenv's registries.conf plus this one
    process.env.CONTAINERS_REGISTRIES_CONF = reg.registriesConf;
    process.env.REGISTRY_AUTH_FILE = reg.authFile;

    const image = `${host}/slipway-auth-test/${h.name}`;
    const pipeline = h.pipeline({
      build: {
        builder: 'buildah',
        artifacts: [{ image, context: '.', docker: { dockerfile: 'Dockerfile', buildArgs: { BASE: testenv().baseImage } } }],
      },
      deploy: {},
    });
    await h.runner([pipeline]);
    const build = await h.waitFinal((await h.enqueue(pipeline)).id);
    const log = await h.logs.text(build.id);
    assert.equal(build.status, 'succeeded', log);
    const [img] = build.images;
    assert.ok(img);
    assert.equal(img.name, image);

    // the image is in the registry (so the login was used); without a login the registry refuses
    const manifest = `http://${host}/v2/slipway-auth-test/${h.name}/manifests/${img.tag}`;
    const accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json';
    const withLogin = await fetch(manifest, { method: 'HEAD', headers: { accept, authorization: `Basic ${basic}` } });
    assert.equal(withLogin.status, 200);
    assert.equal(withLogin.headers.get('docker-content-digest'), img.digest);
    assert.equal((await fetch(manifest, { method: 'HEAD', headers: { accept } })).status, 401);

    // a push did go through the door, and no argv there carries the credentials in any form
    const argvs = h.calls.map((c) => c.argv);
    assert.ok(argvs.some((a) => a.includes('push') && a.includes(`docker://${img.name}:${img.tag}`)), JSON.stringify(argvs));
    const forms = [password, basic, Buffer.from(password).toString('base64'), encodeURIComponent(password), `${user}:${password}`];
    for (const argv of argvs) for (const form of forms) assert.ok(!argv.some((a) => a.includes(form)), `argv ${JSON.stringify(argv)} carries the credentials`);
    assert.ok(!argvs.flat().some((a) => /--creds/.test(a)));
    for (const form of forms) assert.ok(!log.includes(form), 'credentials in the build log');
  } finally {
    if (savedAuth === undefined) delete process.env.REGISTRY_AUTH_FILE;
    else process.env.REGISTRY_AUTH_FILE = savedAuth;
    if (savedRegistries === undefined) delete process.env.CONTAINERS_REGISTRIES_CONF;
    else process.env.CONTAINERS_REGISTRIES_CONF = savedRegistries;
    await h.cleanup();
    await reg.stop();
  }
});
