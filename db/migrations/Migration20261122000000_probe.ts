import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000000_probe extends Migration {
  override up(): void {
    this.addSql(`
      create table "probe" (
        "id" uuid not null primary key,
        "task_queue" varchar(255) not null,
        "note" text not null,
        "state" text check ("state" in ('pending', 'completed', 'failed')) not null default 'pending',
        "workflow_id" varchar(255) not null,
        "requested_by" varchar(255) not null,
        "echo" text null,
        "worker_identity" varchar(255) null,
        "created_at" timestamptz not null,
        "completed_at" timestamptz null,
        constraint "probe_workflow_id_unique" unique ("workflow_id")
      );`);
  }

  override down(): void {
    this.addSql('drop table if exists "probe";');
  }
}
