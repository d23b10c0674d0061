// Gogs webhooks: X-Gogs-Signature `<hex>`, X-Gogs-Event (push, delete), X-Gogs-Delivery.
import { gogsLikeAdapter } from './gogs-like.ts';

export const gogs = gogsLikeAdapter('gogs');
