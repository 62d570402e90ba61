import { Webhook } from 'standardwebhooks';

/**
 * The Standard Webhooks headers of one attempt. `webhook-id` is the delivery's message id (the
 * same on every retry and replay); `webhook-timestamp` is the wall-clock time of this attempt (a
 * receiver refuses timestamps more than 5 minutes off its own clock); `webhook-signature` lists
 * one `v1,<base64 HMAC-SHA256>` per secret: two during a rotation's grace period.
 */
export function signedHeaders(messageId: string, body: string, secrets: string[], at: Date): Record<string, string> {
  const signatures = secrets.map((s) => new Webhook(s).sign(messageId, at, body));
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
