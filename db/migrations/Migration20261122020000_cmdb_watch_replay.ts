// CMDB watch replay (issue #4): sources, cursors, stored events, sink positions, the topology mirror and cloud links.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122020000_cmdb_watch_replay extends Migration {
  override up(): void {
    this.addSql(`create table "cmdb_biz" ("id" uuid not null, "source_id" uuid not null, "bk_biz_id" int not null, "name" text not null, "detail" jsonb not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cmdb_biz" add constraint "cmdb_biz_source_id_bk_biz_id_unique" unique ("source_id", "bk_biz_id");`);
    this.addSql(`create table "cmdb_cursor" ("id" uuid not null, "source_id" uuid not null, "resource" varchar(255) not null, "cursor" text null, "last_event_at" timestamptz null, "caught_up_at" timestamptz null, "last_seq" bigint not null default '0', "state" text not null default 'starting', "state_detail" text null, "relist_requested" boolean not null default false, "last_relist_at" timestamptz null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cmdb_cursor" add constraint "cmdb_cursor_source_id_resource_unique" unique ("source_id", "resource");`);
    this.addSql(`create table "cmdb_event" ("id" uuid not null, "source_id" uuid not null, "resource" varchar(255) not null, "seq" bigint not null, "cursor" text not null, "event_type" varchar(255) not null, "detail" jsonb not null, "received_at" timestamptz not null, "sink_states" jsonb not null default '{}', primary key ("id"));`);
    this.addSql(`alter table "cmdb_event" add constraint "cmdb_event_source_id_resource_cursor_unique" unique ("source_id", "resource", "cursor");`);
    this.addSql(`alter table "cmdb_event" add constraint "cmdb_event_source_id_resource_seq_unique" unique ("source_id", "resource", "seq");`);
    this.addSql(`create table "cmdb_host" ("id" uuid not null, "source_id" uuid not null, "bk_host_id" int not null, "inner_ip" text not null, "name" text not null, "cloud_inst_id" text null, "detail" jsonb not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cmdb_host" add constraint "cmdb_host_source_id_bk_host_id_unique" unique ("source_id", "bk_host_id");`);
    this.addSql(`create table "cmdb_host_cloud_link" ("id" uuid not null, "source_id" uuid not null, "bk_host_id" int not null, "resource_id" uuid not null, "matched_by" text not null, "linked_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cmdb_host_cloud_link" add constraint "cmdb_host_cloud_link_source_id_bk_host_id_resource_id_unique" unique ("source_id", "bk_host_id", "resource_id");`);
    this.addSql(`create table "cmdb_host_relation" ("id" uuid not null, "source_id" uuid not null, "bk_host_id" int not null, "bk_module_id" int not null, "bk_set_id" int not null, "bk_biz_id" int not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cmdb_host_relation" add constraint "cmdb_host_relation_source_id_bk_host_id_bk_module_id_unique" unique ("source_id", "bk_host_id", "bk_module_id");`);
    this.addSql(`create table "cmdb_module" ("id" uuid not null, "source_id" uuid not null, "bk_module_id" int not null, "bk_set_id" int not null, "bk_biz_id" int not null, "name" text not null, "detail" jsonb not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cmdb_module" add constraint "cmdb_module_source_id_bk_module_id_unique" unique ("source_id", "bk_module_id");`);
    this.addSql(`create table "cmdb_set" ("id" uuid not null, "source_id" uuid not null, "bk_set_id" int not null, "bk_biz_id" int not null, "name" text not null, "detail" jsonb not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cmdb_set" add constraint "cmdb_set_source_id_bk_set_id_unique" unique ("source_id", "bk_set_id");`);
    this.addSql(`create table "cmdb_sink_cursor" ("id" uuid not null, "source_id" uuid not null, "sink_id" uuid not null, "resource" varchar(255) not null, "applied_seq" bigint not null default '0', "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cmdb_sink_cursor" add constraint "cmdb_sink_cursor_source_id_sink_id_resource_unique" unique ("source_id", "sink_id", "resource");`);
    this.addSql(`create table "cmdb_source" ("id" uuid not null, "name" varchar(255) not null, "base_url" text not null, "api_style" text not null, "app_code" varchar(255) not null, "app_secret_sealed" text null, "username" varchar(255) not null, "supplier_account" varchar(255) not null default '0', "resources" jsonb not null, "sinks" jsonb not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "cmdb_source" add constraint "cmdb_source_name_unique" unique ("name");`);
    this.addSql(`alter table "cmdb_cursor" add constraint "cmdb_cursor_state_check" check ("state" in ('starting', 'watching', 'recovering', 'failed'));`);
    this.addSql(`alter table "cmdb_host_cloud_link" add constraint "cmdb_host_cloud_link_matched_by_check" check ("matched_by" in ('cloud-inst-id', 'inner-ip'));`);
    this.addSql(`alter table "cmdb_source" add constraint "cmdb_source_api_style_check" check ("api_style" in ('native', 'esb', 'apigw'));`);
  }

  override down(): void {
    this.addSql('drop table if exists "cmdb_host_cloud_link";');
    this.addSql('drop table if exists "cmdb_host_relation";');
    this.addSql('drop table if exists "cmdb_host";');
    this.addSql('drop table if exists "cmdb_module";');
    this.addSql('drop table if exists "cmdb_set";');
    this.addSql('drop table if exists "cmdb_biz";');
    this.addSql('drop table if exists "cmdb_sink_cursor";');
    this.addSql('drop table if exists "cmdb_event";');
    this.addSql('drop table if exists "cmdb_cursor";');
    this.addSql('drop table if exists "cmdb_source";');
  }
}
