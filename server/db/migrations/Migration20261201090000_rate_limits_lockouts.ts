import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 10, items 3–5: rate limits shared by every process (and surviving restarts), login lockout
 * state per account, and the ALTCHA solutions already used (single use across processes).
 * All three are small and self-purging: rows past their expiry are deleted by a periodic sweep.
 */
export class Migration20261201090000_rate_limits_lockouts extends Migration {
  override async up(): Promise<void> {
    // One fixed window per key ("<limiter>:<subject>"); the window restarts when it has expired.
    this.addSql(`create table rate_limit (
      key text primary key,
      points integer not null,
      expires_at timestamptz not null
    );`);
    this.addSql(`create index rate_limit_expires_idx on rate_limit (expires_at);`);

    // The loose, per-account side of login lockouts (the tight per account+IP side is in rate_limit).
    this.addSql(`create table login_lockout (
      user_id uuid primary key constraint login_lockout_user_id_foreign references app_user (id) on delete cascade,
      failures integer not null,
      first_failure_at timestamptz not null,
      last_failure_at timestamptz not null,
      challenged_since timestamptz null,
      notified_at timestamptz null
    );`);

    this.addSql(`create table bot_challenge_used (
      signature text primary key,
      expires_at timestamptz not null
    );`);
    this.addSql(`create index bot_challenge_used_expires_idx on bot_challenge_used (expires_at);`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists bot_challenge_used;`);
    this.addSql(`drop table if exists login_lockout;`);
    this.addSql(`drop table if exists rate_limit;`);
  }
}
