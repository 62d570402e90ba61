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
import { router } from '../trpc/init.js';
import { adminProcedure } from '../trpc/procedures.js';
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
});
