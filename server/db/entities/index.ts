export { Organisation } from './organisation.entity.js';
export { User } from './user.entity.js';
export { Session } from './session.entity.js';
export { Setting } from './setting.entity.js';
export { DomainEvent } from './domain-event.entity.js';
export { EmailOutbox } from './email-outbox.entity.js';
export { MailboxMessage } from './mailbox-message.entity.js';
export { AuthToken } from './auth-token.entity.js';
export { WebhookEndpoint, WebhookDelivery } from './webhook.entity.js';
export { ApiToken } from './api-token.entity.js';
export { UserStatusCount } from './user-status-count.entity.js';

import { Organisation } from './organisation.entity.js';
import { User } from './user.entity.js';
import { Session } from './session.entity.js';
import { Setting } from './setting.entity.js';
import { DomainEvent } from './domain-event.entity.js';
import { EmailOutbox } from './email-outbox.entity.js';
import { MailboxMessage } from './mailbox-message.entity.js';
import { AuthToken } from './auth-token.entity.js';
import { WebhookEndpoint, WebhookDelivery } from './webhook.entity.js';
import { ApiToken } from './api-token.entity.js';
import { UserStatusCount } from './user-status-count.entity.js';

export const entities = [
  Organisation,
  User,
  Session,
  Setting,
  DomainEvent,
  EmailOutbox,
  MailboxMessage,
  AuthToken,
  WebhookEndpoint,
  WebhookDelivery,
  ApiToken,
  UserStatusCount,
];
