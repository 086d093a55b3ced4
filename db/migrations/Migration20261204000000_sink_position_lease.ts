// A webhook sink's position per resource carries a lease (holder and expiry), so only one replay call at a time
// delivers its events and the order per resource holds when two attempts overlap.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261204000000_sink_position_lease extends Migration {
  override up(): void {
    this.addSql(`alter table "cmdb_sink_cursor" add column "leased_by" uuid null, add column "leased_until" timestamptz null;`);
  }

  override down(): void {
    this.addSql(`alter table "cmdb_sink_cursor" drop column "leased_by", drop column "leased_until";`);
  }
}
