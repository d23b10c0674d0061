// Gitea webhooks: X-Gitea-Signature `<hex>`, X-Gitea-Event (push, delete), X-Gitea-Delivery.
import { gogsLikeAdapter } from './gogs-like.ts';

export const gitea = gogsLikeAdapter('gitea');
