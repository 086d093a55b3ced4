// Build and deploy waves: hosts, projects and their member hosts, builds, releases with per-host results, and the
// live log of both. A partial unique index keeps at most one active release per project (a second gets 409).
import { Migration } from '@mikro-orm/migrations';

export class Migration20261204100000_deploy extends Migration {
  override up(): void {
    this.addSql(`create table "deploy_host" ("id" uuid not null, "name" varchar(255) not null, "address" varchar(255) not null, "port" int not null default 22, "executor" text not null, "username" varchar(255) null, "private_key_sealed" text null, "host_key" text null, "labels" jsonb not null, "cloud_resource_id" uuid null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "deploy_host" add constraint "deploy_host_name_unique" unique ("name");`);
    this.addSql(`create table "deploy_project" ("id" uuid not null, "name" varchar(255) not null, "repository" jsonb not null, "build" jsonb not null, "deploy" jsonb not null, "load_balancer" jsonb null, "created_at" timestamptz not null, "updated_at" timestamptz not null, primary key ("id"));`);
    this.addSql(`alter table "deploy_project" add constraint "deploy_project_name_unique" unique ("name");`);
    this.addSql(`create table "deploy_build" ("id" uuid not null, "project_id" uuid not null, "ref" varchar(255) null, "state" text not null default 'queued', "commit" varchar(255) null, "changelog" jsonb null, "artifact" jsonb null, "error" text null, "workflow_id" varchar(255) not null, "requested_by" varchar(255) not null, "created_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "deploy_build" add constraint "deploy_build_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "deploy_build_project_id_created_at_index" on "deploy_build" ("project_id", "created_at");`);
    this.addSql(`create table "deploy_project_host" ("project_id" uuid not null, "host_id" uuid not null, "position" int not null, "in_upstream" boolean not null default true, "deployed_build_id" uuid null, "updated_at" timestamptz not null, primary key ("project_id", "host_id"));`);
    this.addSql(`create table "deploy_release" ("id" uuid not null, "project_id" uuid not null, "build_id" uuid not null, "previous_build_id" uuid null, "resumed_from_id" uuid null, "state" text not null, "strategy" jsonb not null, "max_failures" int null, "max_failure_percent" double precision null, "on_host_failure" text not null default 'stop', "pause_between_waves" varchar(255) null, "require_approval" boolean not null default false, "approval_timeout_seconds" int not null, "rollback_on_failure" boolean not null default true, "requested_by" varchar(255) not null, "approved_by" varchar(255) null, "approved_at" timestamptz null, "rejected_by" varchar(255) null, "rejected_at" timestamptz null, "error" text null, "workflow_id" varchar(255) not null, "created_at" timestamptz not null, "started_at" timestamptz null, "finished_at" timestamptz null, primary key ("id"));`);
    this.addSql(`alter table "deploy_release" add constraint "deploy_release_workflow_id_unique" unique ("workflow_id");`);
    this.addSql(`create index "deploy_release_project_id_created_at_index" on "deploy_release" ("project_id", "created_at");`);
    this.addSql(`create table "deploy_event" ("id" bigserial primary key, "build_id" uuid null, "release_id" uuid null, "host_id" uuid null, "kind" text not null, "stream" varchar(255) null, "text" text not null, "at" timestamptz not null);`);
    this.addSql(`create index "deploy_event_build_id_id_index" on "deploy_event" ("build_id", "id");`);
    this.addSql(`create index "deploy_event_release_id_id_index" on "deploy_event" ("release_id", "id");`);
    this.addSql(`create table "deploy_release_host" ("release_id" uuid not null, "host_id" uuid not null, "wave" int not null, "position" int not null, "state" text not null default 'pending', "steps" jsonb not null, "error" text null, "decision" varchar(255) null, "decided_by" varchar(255) null, "updated_at" timestamptz not null, primary key ("release_id", "host_id"));`);
    this.addSql(`alter table "deploy_host" add constraint "deploy_host_executor_check" check ("executor" in ('ssh', 'local'));`);
    this.addSql(`alter table "deploy_build" add constraint "deploy_build_project_id_foreign" foreign key ("project_id") references "deploy_project" ("id") on delete cascade;`);
    this.addSql(`alter table "deploy_build" add constraint "deploy_build_state_check" check ("state" in ('queued', 'running', 'succeeded', 'failed', 'cancelled'));`);
    this.addSql(`alter table "deploy_project_host" add constraint "deploy_project_host_project_id_foreign" foreign key ("project_id") references "deploy_project" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "deploy_project_host" add constraint "deploy_project_host_host_id_foreign" foreign key ("host_id") references "deploy_host" ("id") on update cascade on delete restrict;`);
    this.addSql(`alter table "deploy_release" add constraint "deploy_release_project_id_foreign" foreign key ("project_id") references "deploy_project" ("id") on delete cascade;`);
    this.addSql(`alter table "deploy_release" add constraint "deploy_release_build_id_foreign" foreign key ("build_id") references "deploy_build" ("id") on delete cascade;`);
    this.addSql(`alter table "deploy_release" add constraint "deploy_release_state_check" check ("state" in ('pending_approval', 'approved', 'running', 'paused', 'succeeded', 'failed', 'rolled_back', 'cancelled', 'rejected', 'expired'));`);
    this.addSql(`alter table "deploy_release" add constraint "deploy_release_on_host_failure_check" check ("on_host_failure" in ('stop', 'ask'));`);
    this.addSql(`alter table "deploy_event" add constraint "deploy_event_build_id_foreign" foreign key ("build_id") references "deploy_build" ("id") on delete cascade;`);
    this.addSql(`alter table "deploy_event" add constraint "deploy_event_release_id_foreign" foreign key ("release_id") references "deploy_release" ("id") on delete cascade;`);
    this.addSql(`alter table "deploy_event" add constraint "deploy_event_kind_check" check ("kind" in ('line', 'state'));`);
    this.addSql(`alter table "deploy_release_host" add constraint "deploy_release_host_release_id_foreign" foreign key ("release_id") references "deploy_release" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "deploy_release_host" add constraint "deploy_release_host_host_id_foreign" foreign key ("host_id") references "deploy_host" ("id") on update cascade on delete cascade;`);
    this.addSql(`alter table "deploy_release_host" add constraint "deploy_release_host_state_check" check ("state" in ('pending', 'current', 'running', 'waiting_decision', 'succeeded', 'failed', 'skipped', 'rolling_back', 'rolled_back', 'left_out', 'cancelled'));`);
    this.addSql(`create unique index "deploy_release_one_active_per_project" on "deploy_release" ("project_id") where "state" in ('pending_approval', 'approved', 'running', 'paused');`);
  }

  override down(): void {
    for (const table of ['deploy_event', 'deploy_release_host', 'deploy_release', 'deploy_build', 'deploy_project_host', 'deploy_project', 'deploy_host']) {
      this.addSql(`drop table if exists "${table}" cascade;`);
    }
  }
}
