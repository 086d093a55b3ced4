// The inventory's faster write path (issue #3): edges lose their per-row foreign key (a trigger on resource deletes
// the edges of deleted resources instead), and every stored resource is marked for a full rewrite on its next sync,
// which repairs the edges that the previous write path dropped when it replaced them in a single statement.
import { Migration } from '@mikro-orm/migrations';

export class Migration20261122030000_inventory_write_path extends Migration {
  override up(): void {
    // The write path reads the pre-update row with RETURNING old.* (PostgreSQL 18); say so instead of failing later.
    this.addSql(`do $$ begin
      if current_setting('server_version_num')::int < 180000 then
        raise exception 'opsflow needs PostgreSQL 18 or later (this server is %)', current_setting('server_version');
      end if;
    end $$;`);
    this.addSql(`alter table "resource_relation" drop constraint "resource_relation_from_id_foreign";`);
    this.addSql(`create or replace function "resource_drop_relations_fn"() returns trigger as $$ begin delete from resource_relation where from_id = old.id; return old; end; $$ language plpgsql;`);
    this.addSql(`create trigger "drop_relations" AFTER DELETE on "resource" for each ROW execute function "resource_drop_relations_fn"();`);
    this.addSql(`update "resource" set "content_hash" = '';`);
  }

  override down(): void {
    this.addSql('drop trigger if exists "drop_relations" on "resource";');
    this.addSql('drop function if exists "resource_drop_relations_fn"();');
    this.addSql('delete from "resource_relation" r where not exists (select 1 from "resource" x where x.id = r.from_id);');
    this.addSql(`alter table "resource_relation" add constraint "resource_relation_from_id_foreign" foreign key ("from_id") references "resource" ("id") on delete cascade;`);
  }
}
