// Turns a provider's page into inventory records: every resource is checked against the unified model (its
// type's attribute schema included), and its content hash is what later syncs compare to count it unchanged.
import { createHash } from 'node:crypto';
import { CloudResponseError } from '../../integrations/clouds/errors.ts';
import { normalizedResourceSchema } from '../../integrations/clouds/provider.ts';
import type { ResourceType } from '../../integrations/clouds/provider.ts';
import type { InventoryRecord } from '../../db/repositories/cloud-sync/resource-inventory.ts';

export function contentHash(fields: unknown): string {
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url');
}

/**
 * A resource that does not fit the model fails the region (CloudResponseError): storing half-understood data
 * would be worse than keeping the last good inventory. A resource listed twice keeps its last appearance.
 */
export function inventoryRecords(provider: string, type: ResourceType, region: string, resources: unknown[]): InventoryRecord[] {
  const byId = new Map<string, InventoryRecord>();
  for (const candidate of resources) {
    const parsed = normalizedResourceSchema.safeParse(candidate);
    const label = (candidate as { externalId?: unknown } | null)?.externalId;
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new CloudResponseError(
        `resource ${JSON.stringify(label ?? '?')} does not fit the ${type} model (${issue?.path.join('.') || 'resource'}: ${issue?.message ?? 'invalid'})`,
        { provider, operation: `list ${type}`, region },
      );
    }
    const resource = parsed.data;
    if (resource.type !== type || resource.region !== region) {
      throw new CloudResponseError(`asked for ${type} in ${region}, got ${resource.type} ${resource.externalId} in ${resource.region}`, {
        provider,
        operation: `list ${type}`,
        region,
      });
    }
    // An edge is stored once per resource, however often the provider names it.
    const edges = new Map((resource.relations ?? []).map((relation) => [`${relation.kind} ${relation.toType} ${relation.toExternalId}`, relation]));
    const relations = [...edges.values()].map((relation) => ({ kind: relation.kind, toType: relation.toType, toExternalId: relation.toExternalId }));
    const normalized = {
      zone: resource.zone ?? null,
      name: resource.name ?? null,
      status: resource.status ?? null,
      attributes: resource.attributes as Record<string, unknown>,
      tags: resource.tags,
      extra: resource.extra,
    };
    byId.set(resource.externalId, {
      externalId: resource.externalId,
      ...normalized,
      raw: resource.raw ?? null,
      contentHash: contentHash([normalized, relations]),
      relations,
    });
  }
  return [...byId.values()];
}
