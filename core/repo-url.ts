// Repository URLs are compared normalised: scheme and host lower-case, default port, credentials,
// trailing slash and `.git` dropped. scp-like `git@host:owner/repo` becomes ssh://host/owner/repo.

export function normalizeRepoUrl(raw: string): string {
  const trimmed = raw.trim();
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/\/)(.+)$/.exec(trimmed);
  const candidate = scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? `ssh://${scp[1]}/${scp[2]}` : trimmed;
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return trimmed.replace(/\/+$/, '').replace(/\.git$/i, '').toLowerCase();
  }
  const scheme = url.protocol.toLowerCase();
  const host = url.hostname.toLowerCase();
  const defaultPort = ({ 'http:': '80', 'https:': '443', 'ssh:': '22', 'git:': '9418' } as Record<string, string>)[scheme];
  const port = url.port && url.port !== defaultPort ? `:${url.port}` : '';
  let pathname = url.pathname.replace(/\/+$/, '').replace(/\.git$/i, '').replace(/\/+$/, '');
  if (scheme === 'file:') pathname = decodeURIComponent(pathname);
  return `${scheme}//${host}${port}${pathname}`;
}

// The one place that knows where a URL keeps its credentials (repository and Redis URLs alike).

/** The URL with any user and password removed, for records and messages. */
export function stripCredentials(raw: string): string {
  if (!raw.includes('@')) return raw; // no user info (the webhook hot path: parsing a URL is dear)
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return raw;
  }
}

/**
 * The URL with its password (or, without one, its user: a token used as user name) replaced by ***,
 * for messages and logs. A URL that does not parse but may hold credentials is not shown at all.
 */
export function redactCredentials(raw: string): string {
  if (!raw.includes('@')) return raw;
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    else if (url.username) url.username = '***';
    return url.toString();
  } catch {
    return raw.includes('://') ? '<unparseable url>' : raw; // scp-like git@host:path holds no secret
  }
}

/** The secrets a URL carries (its password, or a user name standing alone as a token), decoded: what masking must hide. */
export function urlCredentials(raw: string): string[] {
  if (!raw.includes('@')) return [];
  try {
    const url = new URL(raw);
    return [url.password, url.password ? '' : url.username].filter((s) => s.length > 0).map(decodeURIComponent);
  } catch {
    return [];
  }
}
