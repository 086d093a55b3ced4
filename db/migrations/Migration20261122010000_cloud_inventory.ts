// Cloud inventory sync (issue #3): accounts, the unified resource model with its relations, sync runs and their log.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122010000_cloud_inventory extends Migration {
  override up(): void {
    this.addSql(`create table "cloud_account" ("id" uuid not null, "name" varchar(255) not null, "provider" varchar(255) not null, "credentials" text not null, "endpoint" varchar(255) null, "regions" jsonb null, "resource_types" jsonb not null, "sync_interval_minutes" int not null, "enabled" boolean not null default true, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cloud_account" add constraint "cloud_account_name_unique" unique ("name");`);

    this.addSql(`create table "resource" ("id" uuid not null, "account_id" uuid not null, "provider" varchar(255) not null, "type" varchar(255) not null, "region" varchar(255) not null, "zone" varchar(255) null, "external_id" varchar(255) not null, "name" text null, "status" varchar(255) null, "attributes" jsonb not null, "tags" jsonb not null, "extra" jsonb not null, "raw" jsonb null, "content_hash" varchar(255) not null, "first_seen_at" timestamptz not null, "last_seen_at" timestamptz not null, "last_sync_run" uuid null, "expired_at" timestamptz null, primary key ("id"));`);
    this.addSql(`create index "resource_account_id_external_id_index" on "resource" ("account_id", "external_id");`);
    this.addSql(`alter table "resource" add constraint "resource_account_id_type_region_external_id_unique" unique ("account_id", "type", "region", "external_id");`);

    this.addSql(`create table "resource_relation" ("from_id" uuid not null, "kind" varchar(255) not null, "to_type" varchar(255) not null, "to_external_id" varchar(255) not null, "account_id" uuid not null, primary key ("from_id", "kind", "to_type", "to_external_id"));`);
    this.addSql(`create index "resource_relation_account_id_to_type_to_external_id_index" on "resource_relation" ("account_id", "to_type", "to_external_id");`);

    this.addSql(`create table "sync_run" ("id" uuid not null, "account_id" uuid not null, "provider" varchar(255) not null, "resource_type" varchar(255) not null, "state" text not null default 'running', "workflow_id" varchar(255) not null, "regions" jsonb not null, "counts" jsonb not null, "checkpoints" jsonb not null, "started_at" timestamptz not null, "finished_at" timestamptz null, "error" text null, primary key ("id"));`);
    this.addSql(`create index "sync_run_account_id_started_at_index" on "sync_run" ("account_id", "started_at");`);

    this.addSql(`create table "sync_run_line" ("id" bigserial primary key, "run_id" uuid not null, "at" timestamptz not null, "level" text not null, "region" varchar(255) null, "message" text not null);`);
    this.addSql(`create index "sync_run_line_run_id_index" on "sync_run_line" ("run_id");`);

    this.addSql(`alter table "resource" add constraint "resource_account_id_foreign" foreign key ("account_id") references "cloud_account" ("id") on delete cascade;`);
    this.addSql(`alter table "resource_relation" add constraint "resource_relation_from_id_foreign" foreign key ("from_id") references "resource" ("id") on delete cascade;`);
    this.addSql(`alter table "sync_run" add constraint "sync_run_account_id_foreign" foreign key ("account_id") references "cloud_account" ("id") on delete cascade;`);
    this.addSql(`alter table "sync_run" add constraint "sync_run_state_check" check ("state" in ('running', 'succeeded', 'partially_failed', 'failed'));`);
    this.addSql(`alter table "sync_run_line" add constraint "sync_run_line_run_id_foreign" foreign key ("run_id") references "sync_run" ("id") on delete cascade;`);
    this.addSql(`alter table "sync_run_line" add constraint "sync_run_line_level_check" check ("level" in ('info', 'warn', 'error'));`);
  }

  override down(): void {
    this.addSql('drop table if exists "sync_run_line";');
    this.addSql('drop table if exists "sync_run";');
    this.addSql('drop table if exists "resource_relation";');
    this.addSql('drop table if exists "resource";');
    this.addSql('drop table if exists "cloud_account";');
  }
}
