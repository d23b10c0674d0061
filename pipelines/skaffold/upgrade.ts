// Upgrades a parsed document of an older schema version to the newest layout, as Skaffold's
// per-version Upgrade() steps do for the fields Slipway runs:
//   v2alpha2 → v2alpha3: deploy.kustomize.path → deploy.kustomize.paths
//   v2beta3 → v2beta4:   helm releases[].values → artifactOverrides
//   v2beta29 → v3alpha1: deploy.kubectl.manifests → manifests.rawYaml; deploy.kustomize →
//     manifests.kustomize (deployed by kubectl); helm artifactOverrides (+ imageStrategy) →
//     setValueTemplates; profile patch paths follow the moves.
// Helm releases stay in deploy.helm (Skaffold's legacy helm deployer, still in v4beta14), so they
// keep Slipway's `helm upgrade --install --atomic`. Every other step renames nothing Slipway runs.
import { isBefore, LATEST } from './versions.ts';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Skaffold's SanitizeHelmTemplateValue: image names become template-safe identifiers. */
export function sanitizeImageName(image: string): string {
  return image.replace(/[^A-Za-z0-9_]/g, '_');
}

function kustomizePaths(section: Obj): void {
  const deploy = section.deploy;
  if (!isObj(deploy) || !isObj(deploy.kustomize)) return;
  const k = deploy.kustomize;
  if (typeof k.path === 'string') {
    if (k.paths === undefined) k.paths = [k.path];
    delete k.path;
  }
}

function helmReleases(section: Obj): Obj[] {
  const deploy = section.deploy;
  if (!isObj(deploy) || !isObj(deploy.helm) || !Array.isArray(deploy.helm.releases)) return [];
  return deploy.helm.releases.filter(isObj);
}

function helmValuesRename(section: Obj): void {
  for (const r of helmReleases(section)) {
    if (r.values !== undefined) {
      if (r.artifactOverrides === undefined) r.artifactOverrides = r.values;
      delete r.values;
    }
  }
}

function helmOverridesToTemplates(r: Obj): void {
  const overrides = isObj(r.artifactOverrides) ? (r.artifactOverrides as Record<string, string>) : undefined;
  const strategy = isObj(r.imageStrategy) ? r.imageStrategy : undefined;
  delete r.artifactOverrides;
  delete r.imageStrategy;
  delete r.remote;
  if (!overrides) return;
  const templates: Record<string, string> = { ...(isObj(r.setValueTemplates) ? (r.setValueTemplates as Record<string, string>) : {}) };
  const helmConvention = strategy && isObj(strategy.helm) ? strategy.helm : undefined;
  for (const [key, image] of Object.entries(overrides)) {
    const name = sanitizeImageName(image);
    if (helmConvention) {
      templates[`${key}.tag`] = `{{.IMAGE_TAG_${name}}}@{{.IMAGE_DIGEST_${name}}}`;
      templates[`${key}.repository`] = `{{.IMAGE_REPO_${name}}}`;
      if (helmConvention.explicitRegistry === true) {
        templates[`${key}.registry`] = `{{.IMAGE_DOMAIN_${name}}}`;
        templates[`${key}.repository`] = `{{.IMAGE_REPO_NO_DOMAIN_${name}}}`;
      }
    } else {
      templates[key] = `{{.IMAGE_FULLY_QUALIFIED_${name}}}`;
    }
  }
  r.setValueTemplates = templates;
}

/** Skaffold's default manifests of a kubectl deploy that names none. */
const DEFAULT_KUBECTL_MANIFESTS = ['k8s/*.yaml'];

function renderSplit(section: Obj, isProfile: boolean): void {
  const deploy = section.deploy;
  if (!isObj(deploy)) return;
  const manifests: Obj = isObj(section.manifests) ? section.manifests : {};
  if (isObj(deploy.kubectl)) {
    const kubectl = deploy.kubectl;
    const listed = Array.isArray(kubectl.manifests) ? kubectl.manifests : [];
    if (listed.length) manifests.rawYaml = listed;
    else if (!isProfile && kubectl.remoteManifests === undefined) manifests.rawYaml = DEFAULT_KUBECTL_MANIFESTS;
    delete kubectl.manifests;
  }
  if (isObj(deploy.kustomize)) {
    const k = deploy.kustomize;
    const paths = Array.isArray(k.paths) && k.paths.length ? k.paths : ['.'];
    manifests.kustomize = { paths, ...(k.buildArgs !== undefined ? { buildArgs: k.buildArgs } : {}) };
    // kustomize output is applied by kubectl, with the kustomize deployer's flags
    const kubectl: Obj = isObj(deploy.kubectl) ? deploy.kubectl : {};
    if (k.flags !== undefined && kubectl.flags === undefined) kubectl.flags = k.flags;
    if (k.defaultNamespace !== undefined && kubectl.defaultNamespace === undefined) kubectl.defaultNamespace = k.defaultNamespace;
    deploy.kubectl = kubectl;
    delete deploy.kustomize;
  }
  for (const r of helmReleases(section)) helmOverridesToTemplates(r);
  if (Object.keys(manifests).length) section.manifests = manifests;
}

const PATCH_MOVES: [string, string][] = [
  ['/deploy/kubectl/manifests', '/manifests/rawYaml'],
  ['/deploy/kustomize/paths', '/manifests/kustomize/paths'],
  ['/deploy/kustomize/buildArgs', '/manifests/kustomize/buildArgs'],
];

function movePatchPaths(profile: Obj): void {
  if (!Array.isArray(profile.patches)) return;
  for (const p of profile.patches.filter(isObj)) {
    for (const key of ['path', 'from'] as const) {
      const v = p[key];
      if (typeof v !== 'string') continue;
      for (const [from, to] of PATCH_MOVES) if (v.startsWith(from)) p[key] = to + v.slice(from.length);
    }
  }
}

function sections(config: Obj): { section: Obj; isProfile: boolean }[] {
  const profiles = Array.isArray(config.profiles) ? config.profiles.filter(isObj) : [];
  return [{ section: config, isProfile: false }, ...profiles.map((p) => ({ section: p, isProfile: true }))];
}

/** A deep copy of `config` (a document of `apiVersion`, already validated) in the newest layout. */
export function upgradeConfig(config: Obj, apiVersion: string): Obj {
  const out = structuredClone(config);
  const all = sections(out);
  if (isBefore(apiVersion, 'skaffold/v2alpha3')) for (const s of all) kustomizePaths(s.section);
  if (isBefore(apiVersion, 'skaffold/v2beta4')) for (const s of all) helmValuesRename(s.section);
  if (isBefore(apiVersion, 'skaffold/v3alpha1')) {
    for (const s of all) {
      renderSplit(s.section, s.isProfile);
      if (s.isProfile) movePatchPaths(s.section);
    }
  }
  out.apiVersion = LATEST;
  return out;
}
