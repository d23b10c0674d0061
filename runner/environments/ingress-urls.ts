// The URLs an Ingress gives its environment: what a user would open. Each rule gives one: its
// host (https when the host is listed under the Ingress's tls), or, for a rule without a host,
// the address the Ingress answers on (its load balancer's hostname or IP, once a controller has
// set it: none yet, no URL); then the rule's first path, so rules that only route /web and /api
// give `http://shop.example/web`, not a root nothing answers.
import type { V1Ingress } from '@kubernetes/client-node';

/** The part of a path a browser can open: up to its first regular-expression character (ImplementationSpecific paths of nginx and others). */
function openablePath(path: string | undefined): string {
  if (!path) return '/';
  const literal = path.split(/[()[\]{}*+?$|^\\]/)[0] ?? '';
  return literal.startsWith('/') ? literal : '/';
}

export function ingressUrls(ing: V1Ingress): string[] {
  const tlsHosts = new Set((ing.spec?.tls ?? []).flatMap((t) => t.hosts ?? []));
  const lb = ing.status?.loadBalancer?.ingress?.find((i) => i.hostname || i.ip);
  const address = lb ? (lb.hostname ?? lb.ip) : undefined;
  const urls: string[] = [];
  for (const rule of ing.spec?.rules ?? []) {
    const host = rule.host ?? address;
    if (!host) continue;
    const scheme = rule.host && tlsHosts.has(rule.host) ? 'https' : 'http';
    const url = `${scheme}://${host}${openablePath(rule.http?.paths[0]?.path)}`;
    if (!urls.includes(url)) urls.push(url);
  }
  return urls;
}
