// An image name split into the registry host and the repository path, as docker and the
// registry API v2 read it: the first component is a registry only when it has a '.' or a ':' or
// is 'localhost'; otherwise the image lives on Docker Hub (library/ for one-component names).
import { ValidationError } from '../../core/errors.ts';

export interface ImageName {
  /** host[:port] as written (docker.io for Docker Hub). */
  registry: string;
  /** The repository path inside the registry, e.g. team/app. */
  repository: string;
}

export const DOCKER_HUB = 'docker.io';

export function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

/** `image` without tag or digest. */
export function parseImageName(image: string): ImageName {
  const parts = image.split('/');
  const rest = parts.length > 1 && isRegistryHost(parts[0]!) ? parts.slice(1) : parts;
  if (image.includes('@') || rest.some((p) => p.includes(':')) || rest.some((p) => p === '')) {
    throw new ValidationError(`image name ${JSON.stringify(image)} must be a repository without tag or digest`);
  }
  if (parts.length > 1 && isRegistryHost(parts[0]!)) return { registry: parts[0]!, repository: parts.slice(1).join('/') };
  return { registry: DOCKER_HUB, repository: parts.length === 1 ? `library/${image}` : image };
}

/** Plain HTTP only for loopback registries (127.0.0.1, localhost, [::1]). */
export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(host);
}

/** The base URL of a registry's API v2. */
export function registryApiBase(registry: string): string {
  if (registry === DOCKER_HUB) return 'https://registry-1.docker.io/v2';
  return `${isLoopbackHost(registry) ? 'http' : 'https'}://${registry}/v2`;
}
