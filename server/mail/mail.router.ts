import { okOutput } from '../../shared/schemas/auth.js';
import {
  mailboxListInput,
  mailboxListOutput,
  mailboxMessageInput,
  mailboxMessageOutput,
  outboxListInput,
  outboxListOutput,
  outboxRetryInput,
} from '../../shared/schemas/mail.js';
import * as z from 'zod/mini';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { retryAllFailed } from './outbox-admin.service.js';
import { getMailboxMessage, listMailbox, listOutbox, retryOutboxRow, transportKind } from './mailbox.service.js';

/** admin.mail.*: the built-in mailbox (emails kept when no SMTP server is configured) and the outbox. */
export const mailRouter = router({
  messages: adminProcedure
    .input(mailboxListInput)
    .output(mailboxListOutput)
    .query(async ({ ctx, input }) => ({ ...(await listMailbox(ctx.app, input)), transport: transportKind(ctx.app) })),

  message: adminProcedure
    .input(mailboxMessageInput)
    .output(mailboxMessageOutput)
    .query(({ ctx, input }) => getMailboxMessage(ctx.app, input.id)),

  outbox: adminProcedure
    .input(outboxListInput)
    .output(outboxListOutput)
    .query(({ ctx, input }) => listOutbox(ctx.app, input)),

  retry: adminProcedure
    .input(outboxRetryInput)
    .output(okOutput)
    .mutation(async ({ ctx, input }) => {
      await retryOutboxRow(ctx.app, input.id);
      return { ok: true as const };
    }),

  /** Every failed email back in the queue (except those that carried a one-time link). */
  retryAllFailed: adminProcedure
    .output(z.object({ retried: z.number(), skipped: z.number() }))
    .mutation(({ ctx }) => retryAllFailed(ctx.app, ctx.auth.user.id)),
});
