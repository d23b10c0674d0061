// Prepares the orchestration-overhead comparison: a fixture app repository, a pipeline file for
// `slipway run`, and an env file for both sides (bench/fixture.ts). Prints the two commands to
// time side by side: Slipway (`slipway run`) and bench/runner/plain-pipeline.sh doing the same
// git, buildah, helm and test commands. Needs the testenv.
//   node --import tsx bench/runner/prepare-overhead.ts
import { benchFixture, buildBundle, envArgs, ROOT, RUNNER_APP, runnerAppPipeline } from '../fixture.ts';

const f = await benchFixture('slipway-overhead-');
await f.commit(RUNNER_APP);
const image = f.image('overhead');
const namespace = 'slipway-bench-overhead';
await f.pipeline('overhead', runnerAppPipeline(f, 'overhead', image, namespace));
const env = envArgs(f.env({ namespace, bench: { BENCH_IMAGE: image } }));
// Bundled (npm run build, what the container image runs) and through tsx (what a checkout runs).
const bin = await buildBundle();
console.log(`slipway: env ${env} node ${bin} run overhead`);
console.log(`slipway-tsx: env ${env} node --import ${ROOT}/node_modules/tsx/dist/esm/index.mjs ${ROOT}/cli/bin.ts run overhead`);
console.log(`plain:   env ${env} sh ${ROOT}/bench/runner/plain-pipeline.sh`);
