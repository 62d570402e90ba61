import { okOutput } from '../../shared/schemas/auth.js';
import { mailboxListInput, mailboxListOutput, mailboxMessageInput, outboxListInput, outboxListOutput, outboxRetryInput } from '../../shared/schemas/mail.js';
import {
  addSuppressionInput,
  mailboxMessageView,
  removeSuppressionInput,
  revealMessageInput,
  suppressionListOutput,
} from '../../shared/schemas/mail-safety.js';
import * as z from 'zod/mini';
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
import { retryAllFailed } from './outbox-admin.service.js';
import { getMailboxMessage, listMailbox, listOutbox, retryOutboxRow, revealMailboxMessage, transportKind } from './mailbox.service.js';
import { getSuppressions, suppressAddress, unsuppressAddress } from './suppression.service.js';

/** admin.mail.*: the built-in mailbox (emails kept when no SMTP server is configured) and the outbox. */
export const mailRouter = router({
  messages: adminProcedure
    .input(mailboxListInput)
    .output(mailboxListOutput)
    .query(async ({ ctx, input }) => ({ ...(await listMailbox(ctx.app, ctx.auth.user, input)), transport: transportKind(ctx.app) })),

  /** Mail addressed to someone else comes with its one-time links hidden (see reveal). */
  message: adminProcedure
    .input(mailboxMessageInput)
    .output(mailboxMessageView)
    .query(({ ctx, input }) => getMailboxMessage(ctx.app, ctx.auth.user, input.id)),

  /** "Reveal link": the email in full; recorded as mail.link_revealed. */
  reveal: adminProcedure
    .input(revealMessageInput)
    .output(mailboxMessageView)
    .mutation(({ ctx, input }) => revealMailboxMessage(ctx.app, ctx.auth.user, input.id)),

  /** Admin > Mailbox > Suppressed addresses. */
  suppressions: router({
    list: adminProcedure.output(suppressionListOutput).query(async ({ ctx }) => ({ items: await getSuppressions(ctx.app) })),
    add: adminProcedure
      .input(addSuppressionInput)
      .output(okOutput)
      .mutation(async ({ ctx, input }) => {
        await suppressAddress(ctx.app, ctx.auth.user, input);
        return { ok: true as const };
      }),
    remove: adminProcedure
      .input(removeSuppressionInput)
      .output(okOutput)
      .mutation(async ({ ctx, input }) => {
        await unsuppressAddress(ctx.app, ctx.auth.user, input.email);
        return { ok: true as const };
      }),
  }),

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
