// The ordered list of committed migrations. A new migration is a new file here plus one line below;
// `opsflow migrate --check` fails when the entities and the migrated schema disagree.
import { Migration20261122000000_probe } from './Migration20261122000000_probe.ts';
import { Migration20261122010000_cloud_inventory } from './Migration20261122010000_cloud_inventory.ts';
import { Migration20261122020000_cmdb_watch_replay } from './Migration20261122020000_cmdb_watch_replay.ts';
import { Migration20261122030000_inventory_write_path } from './Migration20261122030000_inventory_write_path.ts';
import { Migration20261123000000_temporal_side } from './Migration20261123000000_temporal_side.ts';
import { Migration20261204000000_sink_position_lease } from './Migration20261204000000_sink_position_lease.ts';
import { Migration20261204100000_deploy } from './Migration20261204100000_deploy.ts';

export const MIGRATIONS = [
  { name: 'Migration20261122000000_probe', class: Migration20261122000000_probe },
  { name: 'Migration20261122010000_cloud_inventory', class: Migration20261122010000_cloud_inventory },
  { name: 'Migration20261122020000_cmdb_watch_replay', class: Migration20261122020000_cmdb_watch_replay },
  { name: 'Migration20261122030000_inventory_write_path', class: Migration20261122030000_inventory_write_path },
  { name: 'Migration20261123000000_temporal_side', class: Migration20261123000000_temporal_side },
  { name: 'Migration20261204000000_sink_position_lease', class: Migration20261204000000_sink_position_lease },
  { name: 'Migration20261204100000_deploy', class: Migration20261204100000_deploy },
];
