// One artifact through the registry-side cache and the immutable-tag rule.
//
// The registry is the cache, so every runner and every fresh machine shares it: an image built
// from inputs with digest D is also tagged `slipway-input-<D>` in its repository. Before building,
// that tag is looked up; when it exists, the build's tag is put on the same manifest registry-side
// (its bytes read and put back under the new tag: nothing pulled, same digest) and no builder
// runs. After a real build the input tag is added the same way.
//
// Tags are immutable: a build tag that already names another manifest is never pushed over (a
// fresh data folder restarting build numbers must not clobber `:1`); the build fails saying so.
// The one exception is a tag that moves by design (tagMoves: Skaffold's sha256 policy tags every
// build `latest` and deploys it by digest): it is put on the new image, and the log says so.
import { ConfigError, UnavailableError, ValidationError } from '../../core/errors.ts';
import type { PlanTagPolicy } from '../../pipelines/plan.ts';
import { tagMoves, takenTagCause } from '../plan-tags.ts';
import type { RegistryClient } from '../registry/registry-client.ts';

export const INPUT_TAG_PREFIX = 'slipway-input-';

export function inputTag(inputDigest: string): string {
  return `${INPUT_TAG_PREFIX}${inputDigest}`;
}

export class TagTakenError extends ValidationError {
  /** `policy`: the tag policy the tag came from, for the likely cause (takenTagCause). */
  constructor(ref: string, existing: string, policy: PlanTagPolicy) {
    super(
      `${ref} already exists in the registry as ${existing}, and image tags are immutable: this build would overwrite it. ` +
        `${takenTagCause(policy)} Delete the old tag, or use another image name or tagPolicy`,
    );
  }
}

export interface CachedBuildInput {
  registry: RegistryClient;
  /** The artifact's image name (no tag). */
  image: string;
  /** The build's tag. */
  tag: string;
  /** What the tag was made from (the plan's tagPolicy), for the immutable-tag error's hint. */
  tagPolicy: PlanTagPolicy;
  /** undefined: no cache for this artifact (--no-cache, build.cache: false); the tag rule still holds. */
  inputDigest: string | undefined;
  signal?: AbortSignal;
  line(text: string): void;
  /**
   * Runs the builder and its push; returns the pushed digest. `registryAnswered` is false when
   * the registry's API could not be asked: then no layer cache either (buildah fails a build whose
   * --cache-to cannot be reached).
   */
  build(o: { registryAnswered: boolean }): Promise<string>;
}

export interface CachedBuildResult {
  digest: string;
  reused: boolean;
}

/**
 * Reuses the image built from the same inputs, or builds; either way the build tag ends on the
 * digest returned and no other tag is overwritten.
 */
export async function cachedBuild(input: CachedBuildInput): Promise<CachedBuildResult> {
  const { registry, image, tag, signal } = input;
  const ref = `${image}:${tag}`;
  let existing: string | undefined;
  let found: string | undefined;
  try {
    [existing, found] = await Promise.all([
      registry.headManifest(image, tag, signal).then((m) => m?.digest),
      input.inputDigest ? registry.headManifest(image, inputTag(input.inputDigest), signal).then((m) => m?.digest) : undefined,
    ]);
  } catch (err) {
    // The runner cannot read the registry's API (not answering, or credentials only a credential
    // helper holds, which the builder uses and this client does not): build as before, unchecked;
    // the push says whether the registry takes it.
    if (!(err instanceof ConfigError || err instanceof UnavailableError) || signal?.aborted) throw err;
    input.line(`cannot ask the registry about ${ref} (${err.message}): building without the cache and the tag check`);
    return { digest: await input.build({ registryAnswered: false }), reused: false };
  }

  const moves = tagMoves(input.tagPolicy);
  const moved = (digest: string) => {
    if (existing && existing !== digest) input.line(`${ref} moved from ${existing} to this build's image (tagPolicy sha256: deploys name the image by its digest)`);
  };
  if (found) {
    if (existing && existing !== found && !moves) throw new TagTakenError(ref, existing, input.tagPolicy);
    if (existing !== found) await registry.tagManifest(image, found, tag, signal);
    moved(found);
    input.line(`unchanged, reused ${ref}@${found}`);
    return { digest: found, reused: true };
  }
  if (existing && !moves) throw new TagTakenError(ref, existing, input.tagPolicy);

  const digest = await input.build({ registryAnswered: true });
  moved(digest);
  if (input.inputDigest) {
    // the image is pushed: a missing cache tag only costs the next build its reuse
    await registry.tagManifest(image, digest, inputTag(input.inputDigest), signal).catch((err: unknown) => {
      if (signal?.aborted) throw err;
      input.line(`could not tag ${ref} with its input digest (${(err as Error).message}): the next build of these inputs builds again`);
    });
  }
  return { digest, reused: false };
}
