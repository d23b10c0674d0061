// Kubernetes manifests as Slipway deploys them: parsed with their file and line; every object
// put into the environment's namespace (one naming another namespace, or a cluster-scoped
// object, is an error naming its file and line); labelled with the pipeline and environment;
// and every image reference replaced as Skaffold does: a container image whose repository is
// an artifact's image name becomes the built repo:tag@digest (a tag already written is
// ignored; an image pinned by digest is left alone).
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, stringify, visit } from 'yaml';
import { ConfigError, type Problem } from '../../core/errors.ts';

export interface ManifestObject {
  /** Where it was read (a file of the repository, or `kustomize <path>`, or a chart's template). */
  file: string;
  line: number;
  object: Record<string, unknown>;
}

export interface BuiltImage {
  /** The artifact's image name, without tag. */
  name: string;
  /** What manifests get: repo:tag@digest (repo:tag when the image was not pushed). */
  ref: string;
}

/** Labels on every object Slipway applies: what the prune and the rollback select by. */
export const LABEL_PIPELINE = 'slipway.dev/pipeline';
export const LABEL_ENVIRONMENT = 'slipway.dev/environment';

/** Kinds without a namespace: an environment cannot hold them. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'Node',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'CSIDriver',
  'VolumeAttachment',
]);

/** The documents of a YAML stream; `List` objects are opened into their items. */
export function parseManifests(text: string, file: string): ManifestObject[] {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false });
  if (!Array.isArray(docs)) throw new ConfigError(`${file}: not a YAML stream`);
  const out: ManifestObject[] = [];
  const problems: Problem[] = [];
  for (const doc of docs) {
    const source = /^# Source: (.+)$/m.exec(text.slice(doc.range[0], doc.contents?.range[0] ?? doc.range[0]))?.[1];
    const where = source ?? file;
    if (doc.errors.length) {
      for (const e of doc.errors) problems.push({ file: where, line: lc.linePos(e.pos[0]).line, message: e.message.split('\n')[0]! });
      continue;
    }
    if (doc.contents === null) continue;
    const line = lc.linePos(doc.contents.range[0]).line;
    if (!isMap(doc.contents)) {
      problems.push({ file: where, line, message: 'a manifest must be a mapping (a Kubernetes object)' });
      continue;
    }
    const object = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
    if (object.kind === 'List' && Array.isArray(object.items)) {
      const items = doc.get('items', true);
      object.items.forEach((item, i) => {
        const node = isSeq(items) ? items.items[i] : undefined;
        const at = node && typeof node === 'object' && 'range' in node && Array.isArray(node.range) ? lc.linePos(node.range[0] as number).line : line;
        out.push({ file: where, line: at, object: item as Record<string, unknown> });
      });
    } else out.push({ file: where, line, object });
  }
  if (problems.length) throw new ConfigError('manifests that cannot be read', problems);
  return out;
}

/** repository, tag and digest of an image reference (the tag's ':' comes after the last '/'). */
export function splitImage(ref: string): { repo: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  const repo = tag === undefined ? rest : rest.slice(0, colon);
  return { repo, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The artifact an image written in a manifest names (its repository; a digest-pinned image names none). */
function builtFor(written: string, images: readonly BuiltImage[]): BuiltImage | undefined {
  const { repo, digest } = splitImage(written);
  if (digest !== undefined) return undefined;
  return images.find((i) => i.name === repo);
}

/** The built reference for an image written in a manifest, or undefined to leave it. */
export function replacementFor(written: string, images: readonly BuiltImage[]): string | undefined {
  return builtFor(written, images)?.ref;
}

/** `value` with every `image:` string field inside it (as Skaffold visits them) mapped by `fn`. */
function mapImageFields<T>(value: T, fn: (image: string) => string): T {
  if (Array.isArray(value)) return value.map((v: unknown) => mapImageFields(v, fn)) as T;
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = k === 'image' && typeof v === 'string' ? fn(v) : mapImageFields(v, fn);
  return out as T;
}

/** Replaces the image references inside `value` (every `image:` string field, as Skaffold visits them). */
export function replaceImages<T>(value: T, images: readonly BuiltImage[]): T {
  return mapImageFields(value, (v) => replacementFor(v, images) ?? v);
}

/** The artifacts' image names (of `images`) that some `image:` field of the objects is replaced by. */
export function imagesNamed(objects: readonly ManifestObject[], images: readonly BuiltImage[]): Set<string> {
  const named = new Set<string>();
  for (const m of objects) {
    mapImageFields(m.object, (v) => {
      const built = builtFor(v, images);
      if (built) named.add(built.name);
      return v;
    });
  }
  return named;
}

export interface PrepareInput {
  namespace: string;
  images: readonly BuiltImage[];
  labels: Record<string, string>;
}

function describe(m: ManifestObject): string {
  const meta = (m.object.metadata ?? {}) as Record<string, unknown>;
  return `${String(m.object.kind ?? 'object')} ${String(meta.name ?? '(no name)')}`;
}

/** Namespace checked and set, labels added, images replaced. Every problem at once, then a ConfigError. */
export function prepareManifests(objects: readonly ManifestObject[], input: PrepareInput): ManifestObject[] {
  const problems: Problem[] = [];
  const out: ManifestObject[] = [];
  for (const m of objects) {
    const kind = m.object.kind;
    const meta = m.object.metadata;
    if (typeof kind !== 'string' || typeof m.object.apiVersion !== 'string' || typeof meta !== 'object' || meta === null) {
      const apiVersion = m.object.apiVersion;
      // a glob such as '**/*.yaml' also matches the skaffold file itself
      const message =
        typeof apiVersion === 'string' && apiVersion.startsWith('skaffold/')
          ? `a Skaffold config (${apiVersion} ${String(kind)}), not a Kubernetes object: a manifest path or glob matched it`
          : `not a Kubernetes object: no ${[typeof apiVersion !== 'string' && 'apiVersion', typeof kind !== 'string' && 'kind', (typeof meta !== 'object' || meta === null) && 'metadata'].filter(Boolean).join(', ')}`;
      problems.push({ file: m.file, line: m.line, message });
      continue;
    }
    const metadata = meta as Record<string, unknown>;
    if (CLUSTER_SCOPED.has(kind)) {
      problems.push({ file: m.file, line: m.line, message: `${describe(m)} is cluster-scoped: an environment holds only objects of its namespace ${input.namespace}` });
      continue;
    }
    if (metadata.namespace !== undefined && metadata.namespace !== input.namespace) {
      problems.push({
        file: m.file,
        line: m.line,
        message: `${describe(m)} names namespace ${String(metadata.namespace)}: everything deploys into the environment namespace ${input.namespace}`,
      });
      continue;
    }
    const labels = { ...((metadata.labels ?? {}) as Record<string, string>), ...input.labels };
    out.push({ ...m, object: replaceImages({ ...m.object, metadata: { ...metadata, namespace: input.namespace, labels } }, input.images) });
  }
  if (problems.length) throw new ConfigError('manifests that cannot deploy into the environment', problems);
  return out;
}

/** One YAML stream of the objects, for `kubectl apply -f -`. */
export function manifestStream(objects: readonly ManifestObject[]): string {
  return objects.map((m) => stringify(m.object, { lineWidth: 0 })).join('---\n');
}

/** The text of a YAML stream with its images replaced, keeping comments and layout (helm's post-renderer). */
export function replaceImagesInText(text: string, images: readonly BuiltImage[], namespace?: string): string {
  const docs = parseAllDocuments(text, { prettyErrors: false });
  if (!Array.isArray(docs)) return text;
  const problems: Problem[] = [];
  const out: string[] = [];
  for (const doc of docs) {
    if (doc.errors.length) throw new ConfigError(`rendered chart: ${doc.errors[0]!.message.split('\n')[0]}`);
    const source = /^# Source: (.+)$/m.exec(doc.toString())?.[1] ?? 'rendered chart';
    const ns = doc.getIn(['metadata', 'namespace']);
    if (namespace !== undefined && ns !== undefined && ns !== null && String(ns) !== namespace) {
      problems.push({ file: source, message: `${String(doc.get('kind'))} ${String(doc.getIn(['metadata', 'name']))} names namespace ${String(ns)}: everything deploys into the environment namespace ${namespace}` });
    }
    visit(doc, {
      Pair(_k, pair) {
        if (isScalar(pair.key) && pair.key.value === 'image' && isScalar(pair.value) && typeof pair.value.value === 'string') {
          const ref = replacementFor(pair.value.value, images);
          if (ref) pair.value.value = ref;
        }
      },
    });
    out.push(doc.toString({ lineWidth: 0 }));
  }
  if (problems.length) throw new ConfigError('a chart that cannot deploy into the environment', problems);
  return out.join('---\n');
}
