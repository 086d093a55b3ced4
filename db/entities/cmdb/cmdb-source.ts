// A BlueKing CMDB that opsflow follows: how to reach it (the app secret sealed as `cmdb_source:<id>`), which
// resources it watches in which mode, and the sinks every change is replayed to.
import { defineEntity, p } from '@mikro-orm/core';
import { CMDB_API_STYLES, type CmdbStoredSink, type CmdbWatchedResource } from '../../../contracts/cmdb.ts';
import { temporalSideProperties } from '../temporal-side.ts';

/** Binds a sealed app secret to its source, and a sealed webhook secret to its sink. */
export const cmdbSourceSecretContext = (sourceId: string) => `cmdb_source:${sourceId}`;
export const cmdbSinkSecretContext = (sinkId: string) => `cmdb_sink:${sinkId}`;

const CmdbSourceSchema = defineEntity({
  name: 'CmdbSource',
  tableName: 'cmdb_source',
  properties: {
    id: p.uuid().primary(),
    name: p.string().unique(),
    baseUrl: p.text(),
    apiStyle: p.enum(CMDB_API_STYLES),
    appCode: p.string(),
    /** Sealed with cmdbSourceSecretContext(id); null for the native style without an app secret. */
    appSecretSealed: p.text().nullable(),
    username: p.string(),
    supplierAccount: p.string().default('0'),
    resources: p.json<CmdbWatchedResource[]>(),
    sinks: p.json<CmdbStoredSink[]>(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
    ...temporalSideProperties,
  },
});

export class CmdbSource extends CmdbSourceSchema.class {}
CmdbSourceSchema.setClass(CmdbSource);
export { CmdbSourceSchema };
