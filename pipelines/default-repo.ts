// The default repo: image names rewritten onto one registry, by Skaffold's --default-repo rules
// (pkg/skaffold/docker/image/generic.go), so a pipeline need not name a registry:
//   - no default repo, or an image already under it (`<repo>/...`): the name stays (Skaffold
//     of today escapes even those on a registry other than GCR; earlier versions kept them, and
//     so does Slipway: the demo's and the tests' images name the local registry already);
//   - default repo and image both on GCR / Artifact Registry (`[x.]gcr.io/<project>/`,
//     `<region>-docker.pkg.dev/<project>/`): the same project prefix is replaced by the default
//     repo, an image already under the default repo stays, any other is appended whole;
//   - otherwise: the whole name with every / . _ : @ made '_' is appended (conflict-free:
//     repo1/app and repo2/app stay apart), e.g. team/app → 127.0.0.1:5000/team_app;
//   - cut to 255 characters.
// The pipeline's build.defaultRepo wins over the runner's SLIPWAY_DEFAULT_REPO.
import type { Pipeline } from './schema.ts';

const MAX_LENGTH = 255;
const ESCAPE = /[/._:@]/g;
const PROJECT_PREFIX = /^((.*\.)?gcr\.io|[a-z0-9-]+-docker\.pkg\.dev)\/[a-zA-Z0-9-_]+\/?/;

/** `image` (a name without tag) on `defaultRepo`. */
export function substituteDefaultRepo(defaultRepo: string | undefined, image: string): string {
  const repo = defaultRepo?.replace(/\/+$/, '');
  if (!repo || image.startsWith(`${repo}/`)) return image;
  const imagePrefix = PROJECT_PREFIX.exec(image)?.[0];
  const repoPrefix = PROJECT_PREFIX.exec(repo)?.[0];
  let out: string;
  if (imagePrefix && repoPrefix) {
    if (imagePrefix === repoPrefix) out = `${repo}/${image.slice(imagePrefix.length)}`;
    else if (image.startsWith(repo)) out = image;
    else out = `${repo}/${image}`;
  } else {
    out = `${repo}/${image.replace(ESCAPE, '_')}`;
  }
  return out.slice(0, MAX_LENGTH);
}

/** The default repo that applies: the pipeline's build.defaultRepo, else the runner's. */
export function defaultRepoFor(pipeline: Pipeline, runnerDefault: string | undefined): string | undefined {
  return pipeline.build.defaultRepo || runnerDefault || undefined;
}

/** The pipeline with its artifacts' images on the default repo. */
export function withDefaultRepo(pipeline: Pipeline, runnerDefault: string | undefined): Pipeline {
  const repo = defaultRepoFor(pipeline, runnerDefault);
  if (!repo) return pipeline;
  return {
    ...pipeline,
    build: { ...pipeline.build, artifacts: pipeline.build.artifacts.map((a) => ({ ...a, image: substituteDefaultRepo(repo, a.image) })) },
  };
}
