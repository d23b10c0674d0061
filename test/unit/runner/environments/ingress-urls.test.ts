// The URL an environment records for an Ingress is what a user would open: the host and the
// rule's first path when its rules only route paths (seed 002's /web and /api), the root for '/',
// https for a tls host, and the load balancer's address for a rule without a host.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Ingress, V1IngressRule } from '@kubernetes/client-node';
import { ingressUrls } from '../../../../runner/environments/ingress-urls.ts';

const backend = { service: { name: 'web', port: { number: 80 } } };
const rule = (host: string | undefined, ...paths: string[]): V1IngressRule => ({
  ...(host ? { host } : {}),
  http: { paths: paths.map((path) => ({ path, pathType: 'Prefix', backend })) },
});
const ingress = (rules: V1IngressRule[], extra: Partial<V1Ingress> = {}): V1Ingress => ({ spec: { rules, ...extra.spec }, ...(extra.status ? { status: extra.status } : {}) });

void test("a host whose rules only route paths: the host and the first rule's first path", () => {
  assert.deepEqual(ingressUrls(ingress([rule('shop.slipway.test', '/web', '/api')])), ['http://shop.slipway.test/web']);
});

void test("a rule routing '/' (or no path) gives the host's root", () => {
  assert.deepEqual(ingressUrls(ingress([rule('shop.slipway.test', '/', '/api')])), ['http://shop.slipway.test/']);
  assert.deepEqual(ingressUrls(ingress([{ host: 'bare.slipway.test' }])), ['http://bare.slipway.test/']);
});

void test('a tls host is https; each host its own URL, once', () => {
  const ing = ingress([rule('a.test', '/app'), rule('b.test', '/'), rule('a.test', '/app')], { spec: { tls: [{ hosts: ['a.test'] }] } });
  assert.deepEqual(ingressUrls(ing), ['https://a.test/app', 'http://b.test/']);
});

void test("a rule without a host: the Ingress's load-balancer address and the path; none without an address", () => {
  assert.deepEqual(ingressUrls(ingress([rule(undefined, '/web')])), []);
  assert.deepEqual(ingressUrls(ingress([rule(undefined, '/web')], { status: { loadBalancer: { ingress: [{ ip: '192.0.2.10' }] } } })), ['http://192.0.2.10/web']);
  assert.deepEqual(ingressUrls(ingress([rule(undefined, '/')], { status: { loadBalancer: { ingress: [{ hostname: 'lb.example.test' }] } } })), ['http://lb.example.test/']);
});

void test('a regular-expression path (ImplementationSpecific) gives its literal start', () => {
  assert.deepEqual(ingressUrls(ingress([rule('shop.test', '/api(/|$)(.*)')])), ['http://shop.test/api']);
  assert.deepEqual(ingressUrls(ingress([rule('shop.test', '(.*)')])), ['http://shop.test/']);
});
