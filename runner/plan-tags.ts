// The tag of one artifact from a plan's tag policy: Skaffold's taggers (gitCommit variants,
// sha256, dateTime, envTemplate, inputDigest, customTemplate) and Slipway's template. Git facts
// come in through `git` (the runner asks the checkout), so this stays free of subprocesses.
import { ValidationError } from '../core/errors.ts';
import type { GitVariant, PlanTagPolicy } from '../pipelines/plan.ts';
import { renderPlanTemplate, type PlanTemplateVars } from '../pipelines/plan-template.ts';
import { formatGoLayout, inputDigest } from './tag-policy.ts';

const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface PlanTagInput {
  policy: PlanTagPolicy;
  vars: PlanTemplateVars;
  /** Absolute path of the artifact's context (inputDigest). */
  context: string;
  /**
   * What git says of the commit for a variant: Tags = `git describe --tags --always`,
   * CommitSha/AbbrevCommitSha = the commit, TreeSha/AbbrevTreeSha = the context's tree.
   */
  git: (variant: GitVariant) => Promise<string>;
  /** The checkout has uncommitted changes (never in a fresh checkout; `slipway dev` may have them). */
  dirty?: boolean;
  now?: Date;
}

/** A Go date layout may make characters a tag cannot hold (`01/02_15:04:05`): they become '-'. */
export function tagSafe(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[.-]+/, '');
  return cleaned.slice(0, 128);
}

async function raw(input: PlanTagInput, policy: PlanTagPolicy): Promise<string> {
  switch (policy.kind) {
    case 'template':
      return renderPlanTemplate(policy.template, input.vars);
    case 'gitCommit': {
      const value = await input.git(policy.variant);
      const dirty = input.dirty && !policy.ignoreChanges ? '-dirty' : '';
      return `${policy.prefix}${value}${dirty}`;
    }
    case 'sha256':
      // Skaffold's sha256 tagger: the tag is `latest`, the image is referenced by its digest
      return 'latest';
    case 'dateTime': {
      const zone = policy.timezone === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : policy.timezone;
      return tagSafe(formatGoLayout(input.now ?? new Date(), policy.format, zone));
    }
    case 'inputDigest':
      return (await inputDigest(input.context)).slice(0, 64);
    case 'customTemplate': {
      const values: Record<string, string> = {};
      for (const [name, component] of Object.entries(policy.components)) {
        // only the components the template names are computed (a GIT default needs no git repo otherwise)
        if (new RegExp(`\\.${name}\\b`).test(policy.template)) values[name] = await raw(input, component);
      }
      return renderPlanTemplate(policy.template, { slipway: input.vars.slipway, values: { ...input.vars.values, ...values } });
    }
  }
}

export async function computePlanTag(input: PlanTagInput): Promise<string> {
  const tag = await raw(input, input.policy);
  if (!TAG.test(tag)) throw new ValidationError(`image tag ${JSON.stringify(tag)} from tagPolicy is not a valid tag (letters, digits, _ . -; at most 128)`);
  return tag;
}

/** The template names the build number (Slipway's {{ .BuildNumber }}, Skaffold's {{.BUILD_NUMBER}} or {{.BUILD_ID}}). */
function fromBuildNumber(policy: PlanTagPolicy): boolean {
  if (policy.kind === 'template') return /\{\{[^}]*\.(BuildNumber|BUILD_NUMBER|BUILD_ID)\b/.test(policy.template);
  if (policy.kind === 'customTemplate') {
    if (fromBuildNumber({ kind: 'template', template: policy.template })) return true;
    return Object.entries(policy.components).some(([name, c]) => new RegExp(`\\.${name}\\b`).test(policy.template) && fromBuildNumber(c));
  }
  return false;
}

/**
 * Whether a tag made by `policy` moves from build to build instead of being immutable: Skaffold's
 * sha256 tagger tags every build `latest` and names the image by its digest wherever it is
 * deployed, so `latest` is a pointer that follows the newest build, not a name for one image.
 * Every other tag keeps the immutable-tag rule (runner/build-cache/cached-build.ts).
 */
export function tagMoves(policy: PlanTagPolicy): boolean {
  return policy.kind === 'sha256';
}

/**
 * Why a build's tag may already name another image in the registry, by what the tag is made of:
 * the likely cause for the immutable-tag error (a restarted build number is one only for a tag
 * made from the build number).
 */
export function takenTagCause(policy: PlanTagPolicy): string {
  if (fromBuildNumber(policy)) return 'Build numbers restarted (a fresh data folder or Redis)?';
  switch (policy.kind) {
    case 'gitCommit':
      return 'The same commit was built and pushed under this tag before, with different content (another build argument, base image or builder): a tag policy that gives different content the same tag.';
    case 'dateTime':
      return 'Another build was tagged with the same time: tagPolicy.dateTime\'s format does not tell these builds apart.';
    case 'inputDigest':
      return 'The same files were built and pushed under this tag before, with different content (another build argument, base image or builder): a tag policy that gives different content the same tag.';
    default:
      return 'The tag template names no build number: builds with the same values get the same tag.';
  }
}
