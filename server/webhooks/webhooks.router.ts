import { TRPCError } from '@trpc/server';
import {
  createWebhookInput,
  deleteWebhookOutput,
  onWebhookDeliveryInput,
  replayDeliveryInput,
  replayDeliveryOutput,
  replayFailedInput,
  replayFailedOutput,
  rotateSecretOutput,
  updateWebhookInput,
  webhookDeliveriesInput,
  webhookDeliveriesOutput,
  webhookDeliverySchema,
  webhookEndpointSchema,
  webhookIdInput,
  webhookListOutput,
  webhookWithSecretOutput,
  type WebhookLogChange,
} from '../../shared/schemas/webhooks.js';
import { liveEventsOf } from '../events/live.js';
import { router } from '../trpc/init.js';
import { adminProcedure, recentAuthAdminProcedure } from '../trpc/procedures.js';
import { webhooksOf } from './runtime.js';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listWebhooks,
  replayDelivery,
  replayFailedSince,
  rotateWebhookSecret,
  sendTestEvent,
  updateWebhook,
  webhookDeliveries,
} from './webhooks.service.js';

/**
 * Settings › Webhooks (admin.settings.webhooks). Thin: one service call each. The delivery log's
 * live updates come from onDelivery: the endpoint ids whose log changed (from NOTIFY on any
 * process), for admins only; the session is checked on every delivery, as the events stream does.
 * Creating or changing an endpoint needs a password check in the last 10 minutes (recentAuthAdminProcedure).
 */
export const webhooksRouter = router({
  list: adminProcedure.output(webhookListOutput).query(({ ctx }) => listWebhooks(ctx.app)),
  get: adminProcedure
    .input(webhookIdInput)
    .output(webhookEndpointSchema)
    .query(({ ctx, input }) => getWebhook(ctx.app, input.id)),
  create: recentAuthAdminProcedure
    .input(createWebhookInput)
    .output(webhookWithSecretOutput)
    .mutation(({ ctx, input }) => createWebhook(ctx.app, ctx.auth.user, input)),
  update: recentAuthAdminProcedure
    .input(updateWebhookInput)
    .output(webhookEndpointSchema)
    .mutation(({ ctx, input }) => updateWebhook(ctx.app, ctx.auth.user, input)),
  delete: recentAuthAdminProcedure
    .input(webhookIdInput)
    .output(deleteWebhookOutput)
    .mutation(async ({ ctx, input }) => {
      await deleteWebhook(ctx.app, ctx.auth.user, input.id);
      return { ok: true as const };
    }),
  rotateSecret: recentAuthAdminProcedure
    .input(webhookIdInput)
    .output(rotateSecretOutput)
    .mutation(({ ctx, input }) => rotateWebhookSecret(ctx.app, ctx.auth.user, input.id)),
  sendTest: adminProcedure
    .input(webhookIdInput)
    .output(webhookDeliverySchema)
    .mutation(({ ctx, input }) => sendTestEvent(ctx.app, ctx.auth.user, input.id)),
  deliveries: adminProcedure
    .input(webhookDeliveriesInput)
    .output(webhookDeliveriesOutput)
    .query(({ ctx, input }) => webhookDeliveries(ctx.app, input)),
  replay: adminProcedure
    .input(replayDeliveryInput)
    .output(replayDeliveryOutput)
    .mutation(async ({ ctx, input }) => ({ delivery: await replayDelivery(ctx.app, ctx.auth.user, input.deliveryId) })),
  replayFailed: adminProcedure
    .input(replayFailedInput)
    .output(replayFailedOutput)
    .mutation(({ ctx, input }) => replayFailedSince(ctx.app, ctx.auth.user, input)),
  onDelivery: adminProcedure.input(onWebhookDeliveryInput).subscription(async function* ({ ctx, input, signal }) {
    const runtime = webhooksOf(ctx.app);
    const guard = liveEventsOf(ctx.app).guard;
    const sessionId = ctx.auth.sessionId;
    const only = input?.endpointId;
    const queue = new Set<string>();
    let wake: (() => void) | null = null;
    // Set by the guard's callback while the loop awaits.
    let revoked = false as boolean;
    const ping = () => {
      const w = wake;
      wake = null;
      w?.();
    };
    const onChange = (endpointId: string) => {
      if (only && endpointId !== only) return;
      queue.add(endpointId);
      ping();
    };
    runtime.log.on('change', onChange);
    const unwatch = guard.watch(sessionId, () => {
      revoked = true;
      ping();
    });
    signal?.addEventListener('abort', ping);
    try {
      while (!signal?.aborted) {
        if (revoked) throw new TRPCError({ code: 'FORBIDDEN', message: 'Your admin session has ended' });
        if (queue.size === 0) {
          await new Promise<void>((r) => (wake = r));
          continue;
        }
        const batch = [...queue];
        queue.clear();
        if (!(await guard.isActiveAdmin(sessionId))) throw new TRPCError({ code: 'FORBIDDEN', message: 'Your admin session has ended' });
        for (const endpointId of batch) yield { endpointId } satisfies WebhookLogChange;
      }
    } finally {
      runtime.log.off('change', onChange);
      unwatch();
      signal?.removeEventListener('abort', ping);
    }
  }),
});
