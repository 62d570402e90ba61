import { Migration20261128000000_initial } from './Migration20261128000000_initial.js';
import { Migration20261128110000_user_search } from './Migration20261128110000_user_search.js';
import { Migration20261201090000_rate_limits_lockouts } from './Migration20261201090000_rate_limits_lockouts.js';
import { Migration20261203120000_session_hashes } from './Migration20261203120000_session_hashes.js';
import { Migration20261210090000_email_verification } from './Migration20261210090000_email_verification.js';
import { Migration20261211090000_mail_safety } from './Migration20261211090000_mail_safety.js';
import { Migration20261212090000_outbox_leases_retention } from './Migration20261212090000_outbox_leases_retention.js';
import { Migration20261211100000_organisation_name_key } from './Migration20261211100000_organisation_name_key.js';
import { Migration20261213090000_registration_form_terms } from './Migration20261213090000_registration_form_terms.js';
import { Migration20261214090000_webhooks } from './Migration20261214090000_webhooks.js';
import { Migration20261214130000_admin_preferences } from './Migration20261214130000_admin_preferences.js';
import { Migration20261214110000_api_tokens } from './Migration20261214110000_api_tokens.js';
import { Migration20261214120000_counts_search } from './Migration20261214120000_counts_search.js';
import { Migration20261214120100_user_search_prefix } from './Migration20261214120100_user_search_prefix.js';
import { Migration20261214100000_audit } from './Migration20261214100000_audit.js';
import { Migration20261214100001_audit_indexes } from './Migration20261214100001_audit_indexes.js';
import { Migration20261216150000_organisation_setting_version } from './Migration20261216150000_organisation_setting_version.js';

/**
 * Every migration, in order. Listed explicitly (not discovered by file glob) so they load the same
 * way under tsx, vitest and a bundler. `npm run migration:create` writes a new file: add it here.
 */
export const migrationsList = [
  { name: 'Migration20261128000000_initial', class: Migration20261128000000_initial },
  { name: 'Migration20261128110000_user_search', class: Migration20261128110000_user_search },
  { name: 'Migration20261201090000_rate_limits_lockouts', class: Migration20261201090000_rate_limits_lockouts },
  { name: 'Migration20261203120000_session_hashes', class: Migration20261203120000_session_hashes },
  { name: 'Migration20261210090000_email_verification', class: Migration20261210090000_email_verification },
  { name: 'Migration20261211090000_mail_safety', class: Migration20261211090000_mail_safety },
  { name: 'Migration20261212090000_outbox_leases_retention', class: Migration20261212090000_outbox_leases_retention },
  { name: 'Migration20261211100000_organisation_name_key', class: Migration20261211100000_organisation_name_key },
  { name: 'Migration20261213090000_registration_form_terms', class: Migration20261213090000_registration_form_terms },
  { name: 'Migration20261214090000_webhooks', class: Migration20261214090000_webhooks },
  { name: 'Migration20261214130000_admin_preferences', class: Migration20261214130000_admin_preferences },
  { name: 'Migration20261214110000_api_tokens', class: Migration20261214110000_api_tokens },
  { name: 'Migration20261214120000_counts_search', class: Migration20261214120000_counts_search },
  { name: 'Migration20261214120100_user_search_prefix', class: Migration20261214120100_user_search_prefix },
  { name: 'Migration20261214100000_audit', class: Migration20261214100000_audit },
  { name: 'Migration20261214100001_audit_indexes', class: Migration20261214100001_audit_indexes },
  { name: 'Migration20261216150000_organisation_setting_version', class: Migration20261216150000_organisation_setting_version },
];
