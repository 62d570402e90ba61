import { Migration20261128000000_initial } from './Migration20261128000000_initial.js';

/**
 * Every migration, in order. Listed explicitly (not discovered by file glob) so they load the same
 * way under tsx, vitest and a bundler. `npm run migration:create` writes a new file: add it here.
 */
export const migrationsList = [{ name: 'Migration20261128000000_initial', class: Migration20261128000000_initial }];
