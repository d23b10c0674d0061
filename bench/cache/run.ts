// The build cache, timed: a 7-artifact repository where one artifact's file changes, built with
// the cache (6 reused registry-side, 1 built with its layers cached) against a full rebuild of the
// same commit (--no-cache: every artifact, every step), in the same run, taking turns
// (full, changed, full, changed, ...) so the machine's drift falls on both. Each build runs as
// `slipway run` does (runBuild, no server), in a fresh work folder. Builder runs are counted at
// the exec door. Appends one line per run to bench/cache/runs.tsv and prints a summary.
//   node --import tsx bench/cache/run.ts [ROUNDS]        (needs the test environment)
import { appendFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheHarness, SERVICES } from '../../test/integration/build-cache/harness.ts';
import { integerArg } from '../integer-arg.ts';

const rounds = integerArg(2, 'ROUNDS', 3, 1, 10_000);
const HERE = path.dirname(fileURLToPath(import.meta.url));

// Each service: a base step that costs something (8 MiB written and hashed), then its own file.
const files: Record<string, string> = {};
for (const s of SERVICES) {
  files[`${s}/Dockerfile`] = [
    'ARG BASE',
    'FROM ${BASE}',
    'RUN dd if=/dev/urandom of=/blob bs=1M count=8 2>/dev/null && sha256sum /blob > /blob.sum',
    'COPY message.txt /message.txt',
    'RUN cat /message.txt',
    '',
  ].join('\n');
  files[`${s}/message.txt`] = `${s} 0\n`;
}

const h = await cacheHarness(files);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
try {
  let number = 1;
  const first = await h.run(h.pipeline(), number++); // warm-up: the first build of everything, not counted
  if (first.record.status !== 'succeeded') throw new Error(first.log);
  const full: number[] = [];
  const changed: number[] = [];
  const changedBuilds: number[] = [];
  const reusedSame: boolean[] = [];
  // what the cache holds: the images of the last build that used it
  let cachedDigests = Object.fromEntries(first.record.images.map((img) => [img.name, img.digest]));
  for (let i = 1; i <= rounds; i++) {
    const service = SERVICES[i % SERVICES.length]!;
    await h.repo.commit({ [`${service}/message.txt`]: `${service} ${i}\n` }, `change ${service}`);

    let t = performance.now();
    const f = await h.run(h.pipeline(), number++, { noCache: true });
    full.push(performance.now() - t);
    if (f.record.status !== 'succeeded' || f.builds.length !== SERVICES.length) throw new Error(`full rebuild: ${f.log}`);

    // another change of that artifact, built with the cache (the full rebuild pushed no input tags)
    await h.repo.commit({ [`${service}/message.txt`]: `${service} ${i}b\n` }, `change ${service} again`);
    t = performance.now();
    const c = await h.run(h.pipeline(), number++);
    changed.push(performance.now() - t);
    if (c.record.status !== 'succeeded') throw new Error(`cached build: ${c.log}`);
    changedBuilds.push(c.builds.length);
    reusedSame.push(c.record.images.every((img) => img.name.endsWith(`/${service}`) || img.digest === cachedDigests[img.name]));
    cachedDigests = Object.fromEntries(c.record.images.map((img) => [img.name, img.digest]));
  }
  const ratio = median(changed) / median(full);
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`${rounds} rounds, 7 artifacts, one changed per round`);
  console.log(`full rebuild (--no-cache)   median ${s(median(full))}  min ${s(Math.min(...full))}  max ${s(Math.max(...full))}  builder runs 7`);
  console.log(`one changed, with cache     median ${s(median(changed))}  min ${s(Math.min(...changed))}  max ${s(Math.max(...changed))}  builder runs ${changedBuilds.join(',')}`);
  console.log(`ratio (median/median)       ${ratio.toFixed(3)}×  (goal ≤ 0.25×)`);
  console.log(`other six reused with unchanged digests: ${reusedSame.every(Boolean) ? 'yes' : 'NO'}`);
  const row = [new Date().toISOString(), rounds, (median(full) / 1000).toFixed(2), (median(changed) / 1000).toFixed(2), ratio.toFixed(3), changedBuilds.join(','), reusedSame.every(Boolean)].join('\t');
  await appendFile(path.join(HERE, 'runs.tsv'), `${row}\ttestenv\n`);
} finally {
  await h.cleanup();
}
