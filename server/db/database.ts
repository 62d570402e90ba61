import { MikroORM } from '@mikro-orm/postgresql';
import { ormConfig } from './mikro-orm.config.js';
import type { Logger } from '../logger.js';

export async function openDatabase(url: string, log: Logger, opts: { poolMax?: number } = {}): Promise<MikroORM> {
  const orm = await MikroORM.init(ormConfig(url, { poolMax: opts.poolMax }));
  const migrator = orm.getMigrator();
  const pending = await migrator.getPendingMigrations();
  if (pending.length) {
    log.info('running migrations', { count: pending.length });
    await migrator.up();
  }
  return orm;
}
