// Rows that own a Temporal side (cloud accounts, CMDB sources) record where that side is, since when, and a
// revision, so a write never holds a transaction open across Temporal calls (services/in-step.ts).
import { Migration } from '@mikro-orm/migrations';

const tables = ['cloud_account', 'cmdb_source'];

export class Migration20261123000000_temporal_side extends Migration {
  override up(): void {
    for (const table of tables) {
      // Existing rows are in step: their Temporal side was created inside the old request transaction.
      this.addSql(`alter table "${table}" add column "temporal_side" text not null default 'in_step', add column "temporal_side_since" timestamptz not null default now(), add column "revision" int not null default 0;`);
      this.addSql(`alter table "${table}" add constraint "${table}_temporal_side_check" check ("temporal_side" in ('in_step', 'applying', 'out_of_step', 'deleting'));`);
    }
  }

  override down(): void {
    for (const table of tables) this.addSql(`alter table "${table}" drop column "temporal_side", drop column "temporal_side_since", drop column "revision";`);
  }
}
