// The one module that imports @kubernetes/client-node's values (its types may be imported
// anywhere): the kubeconfig and the API groups Slipway calls. The bundle (scripts/build.ts)
// holds only what these names reach, ~7 MB, where a dynamic import of the package itself pulls
// in all of it (17 MB, ~0.3 s more to compile on every `slipway run` that deploys); lint keeps
// other modules from importing the package's values.
export { BatchV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
