// The ordered list of committed migrations. A new migration is a new file here plus one line below;
// `opsflow migrate --check` fails when the entities and the migrated schema disagree.
import { Migration20261122000000_probe } from './Migration20261122000000_probe.ts';

export const MIGRATIONS = [{ name: 'Migration20261122000000_probe', class: Migration20261122000000_probe }];
