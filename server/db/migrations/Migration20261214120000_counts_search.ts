import { Migration } from '@mikro-orm/migrations';
import { USER_STATUSES } from '../../../shared/constants.js';

/** Shards of the per-status counts: a writer updates the row of its connection (pg_backend_pid() % COUNT_SHARDS). */
export const COUNT_SHARDS = 64;

const add = (expr: string) => USER_STATUSES.map((s) => `${s} = ${s} + ${expr.replaceAll('$S', `'${s}'`)}`).join(', ');

/**
 * Issue 14, point 3: per-status user counts that cost nothing to read.
 *
 * `user_status_count` holds one row per shard with a column per status; triggers on app_user add
 * every insert and delete (once per statement, from its transition table) and every status change
 * (per row) to the row of the writing connection's shard, in the writer's own transaction. So the counts are exact in every snapshot, whoever writes (services,
 * purges, fixtures, a restore), reading them sums at most 64 rows whatever the number of users, and
 * two sign-ups lock the same counter row only when their connections fall in the same shard (one
 * row per transaction: no lock-order deadlock between shards).
 *
 * The backfill counts app_user once, after the triggers exist, in this migration's transaction:
 * CREATE TRIGGER holds a lock that keeps writers out until it commits, so nothing is counted twice
 * or missed. A periodic reconcile (events/user-counts.ts) corrects drift if triggers were ever
 * bypassed (session_replication_role = replica).
 */
export class Migration20261214120000_counts_search extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table user_status_count (
      shard smallint primary key,
      ${USER_STATUSES.map((s) => `${s} bigint not null default 0`).join(',\n      ')}
    );`);
    this.addSql(`insert into user_status_count (shard) select generate_series(0, ${COUNT_SHARDS - 1});`);
    // Inserts and deletes: once per statement, over its transition table (a bulk insert or a purge
    // batch costs one counter update, not one per row). Status changes: per row, only when the status changed.
    for (const [op, rows, sign] of [
      ['insert', 'new_rows', '+'],
      ['delete', 'old_rows', '-'],
    ] as const) {
      this.addSql(`create function user_status_count_${op}() returns trigger language plpgsql as $$
begin
  update user_status_count c set ${USER_STATUSES.map((s) => `${s} = c.${s} ${sign} d.${s}`).join(', ')}
    from (select count(*) as n, ${USER_STATUSES.map((s) => `count(*) filter (where status = '${s}') as ${s}`).join(', ')} from ${rows}) d
   where c.shard = pg_backend_pid() % ${COUNT_SHARDS} and d.n > 0;
  return null;
end $$;`);
      this.addSql(
        `create trigger app_user_status_count_${op} after ${op} on app_user referencing ${op === 'insert' ? 'new' : 'old'} table as ${rows} for each statement execute function user_status_count_${op}();`,
      );
    }
    this.addSql(`create function user_status_count_update() returns trigger language plpgsql as $$
begin
  update user_status_count set ${add('(new.status = $S)::int - (old.status = $S)::int')}
   where shard = pg_backend_pid() % ${COUNT_SHARDS};
  return null;
end $$;`);
    this.addSql(
      `create trigger app_user_status_count_update after update of status on app_user for each row when (old.status is distinct from new.status) execute function user_status_count_update();`,
    );
    this.addSql(`create function user_status_count_truncate() returns trigger language plpgsql as $$
begin
  update user_status_count set ${USER_STATUSES.map((s) => `${s} = 0`).join(', ')};
  return null;
end $$;`);
    this.addSql(`create trigger app_user_status_count_truncate after truncate on app_user for each statement execute function user_status_count_truncate();`);
    this.addSql(`update user_status_count c set ${USER_STATUSES.map((s) => `${s} = t.${s}`).join(', ')}
      from (select ${USER_STATUSES.map((s) => `count(*) filter (where status = '${s}') as ${s}`).join(', ')} from app_user) t
     where c.shard = 0;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop trigger if exists app_user_status_count_insert on app_user;`);
    this.addSql(`drop trigger if exists app_user_status_count_update on app_user;`);
    this.addSql(`drop trigger if exists app_user_status_count_delete on app_user;`);
    this.addSql(`drop trigger if exists app_user_status_count_truncate on app_user;`);
    this.addSql(`drop function if exists user_status_count_insert();`);
    this.addSql(`drop function if exists user_status_count_delete();`);
    this.addSql(`drop function if exists user_status_count_update();`);
    this.addSql(`drop function if exists user_status_count_truncate();`);
    this.addSql(`drop table if exists user_status_count;`);
  }
}
