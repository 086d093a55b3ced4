// A cloud account opsflow keeps an inventory of: which provider, its sealed credentials, which regions and
// resource types to sync, and how often (its Temporal schedule is `cloud-sync:<id>`, kept in step by services/).
import { defineEntity, p } from '@mikro-orm/core';
import { temporalSideProperties } from '../temporal-side.ts';

/** Binds the sealed credentials to their account: a sealed value copied to another row does not open there. */
export const cloudAccountCredentialsContext = (accountId: string) => `cloud_account:${accountId}`;

const CloudAccountSchema = defineEntity({
  name: 'CloudAccount',
  tableName: 'cloud_account',
  properties: {
    id: p.uuid().primary(),
    name: p.string().unique(),
    provider: p.string(),
    /** secrets.seal(credentials, cloudAccountCredentialsContext(id)); never returned, logged or sent through Temporal. */
    credentials: p.text(),
    endpoint: p.string().nullable(),
    /** Regions to sync; null means every region the provider lists for the account. */
    regions: p.json<string[]>().nullable(),
    resourceTypes: p.json<string[]>(),
    /** 0 pauses the schedule. */
    syncIntervalMinutes: p.integer(),
    enabled: p.boolean().default(true),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    ...temporalSideProperties,
  },
});

export class CloudAccount extends CloudAccountSchema.class {}
CloudAccountSchema.setClass(CloudAccount);
export { CloudAccountSchema };
