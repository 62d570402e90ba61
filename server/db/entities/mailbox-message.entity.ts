import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

// The built-in mailbox: where emails are delivered when no SMTP_URL is configured.
export const MailboxMessage = defineEntity({
  name: 'MailboxMessage',
  tableName: 'mailbox_message',
  properties: {
    id: p.bigint('number').primary().autoincrement(),
    outboxId: p.bigint('number').nullable(),
    template: p.string().length(64),
    fromAddress: p.string().length(300),
    toAddress: p.string().length(254),
    subject: p.string().length(300),
    html: p.text(),
    text: p.text(),
    createdAt: p.datetime().onCreate(() => new Date()),
  },
});
export type MailboxMessage = InferEntity<typeof MailboxMessage>;
