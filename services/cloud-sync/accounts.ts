// What a user can ask of cloud accounts: add, read, change and delete one (its schedule kept in step through
// InStep), sync it now. Credentials are checked against the provider, sealed to the account, and only ever
// shown masked.
import type { Client } from '@temporalio/client';
import type { Orm } from '../../db/orm.ts';
import { type CloudAccount, cloudAccountCredentialsContext } from '../../db/entities/cloud-sync/cloud-account.ts';
import { isCloudError } from '../../integrations/clouds/errors.ts';
import type { CloudRegistry } from '../../integrations/clouds/registry.ts';
import type { OutboundPolicy } from '../../integrations/outbound/policy.ts';
import { maskSecretFields, type SecretBox } from '../../security/secrets.ts';
import { DependencyUnavailableError, InvalidInputError, type InputIssue } from '../errors.ts';
import { InStep } from '../in-step.ts';
import { checkOutboundAddress } from '../outbound-addresses.ts';
import { cloudAccountTemporalSide } from './account-temporal-side.ts';

export interface CloudAccountServiceDeps {
  orm: Orm;
  temporal: Client;
  secrets: SecretBox;
  clouds: () => Promise<CloudRegistry>;
  taskQueuePrefix: string;
  /** Refuses an endpoint override the workers would not be allowed to call. */
  outbound: OutboundPolicy;
}

export interface CloudAccountSettings {
  credentials: Record<string, unknown>;
  endpoint?: string | null;
  /** Null or absent: every region the account lists. */
  regions?: string[] | null;
  resourceTypes: string[];
}

export interface NewCloudAccount extends CloudAccountSettings {
  name: string;
  provider: string;
  syncIntervalMinutes: number;
  enabled: boolean;
  /** List the account's regions with the credentials before saving. */
  validate: boolean;
}

/** Absent fields stay as they are; credentials are replaced whole. */
export interface CloudAccountChange extends Partial<CloudAccountSettings> {
  name?: string;
  syncIntervalMinutes?: number;
  enabled?: boolean;
  validate: boolean;
}

export function createCloudAccountService(deps: CloudAccountServiceDeps) {
  const { orm, secrets } = deps;
  const temporalSide = cloudAccountTemporalSide(orm, deps.temporal, deps.taskQueuePrefix);
  const inStep = new InStep(orm, temporalSide.side);

  const openCredentials = (account: CloudAccount) => secrets.open<Record<string, unknown>>(account.credentials, cloudAccountCredentialsContext(account.id));

  /** Everything the provider can check without calling the cloud, then (validate) listRegions with the credentials. */
  async function checkAgainstProvider(provider: string, settings: CloudAccountSettings, validate: boolean): Promise<void> {
    const registry = await deps.clouds();
    if (!registry.has(provider)) {
      throw InvalidInputError.of('provider', `unknown provider ${JSON.stringify(provider)}; enabled: ${registry.list().map((p) => p.id).join(', ')}`);
    }
    const adapter = registry.get(provider);
    const issues: InputIssue[] = [];
    settings.resourceTypes.forEach((type, index) => {
      if (!adapter.resourceTypes.includes(type as never)) {
        issues.push({ path: `resourceTypes.${index}`, message: `${adapter.displayName} does not offer ${type}; it offers ${adapter.resourceTypes.join(', ')}` });
      }
    });
    const credentials = adapter.credentialsSchema.safeParse(settings.credentials);
    if (!credentials.success) {
      for (const issue of credentials.error.issues) issues.push({ path: ['credentials', ...issue.path.map(String)].join('.'), message: issue.message });
    }
    if (settings.endpoint) await checkOutboundAddress(deps.outbound, 'endpoint', settings.endpoint, issues);
    if (issues.length > 0) throw new InvalidInputError(issues);
    if (!validate) return;
    const session = registry.connect(provider, { credentials: settings.credentials, endpoint: settings.endpoint ?? undefined });
    try {
      const available = await session.listRegions();
      (settings.regions ?? []).forEach((region, index) => {
        if (!available.includes(region)) issues.push({ path: `regions.${index}`, message: `the account has no region ${region}; it has ${available.join(', ')}` });
      });
    } catch (error) {
      if (isCloudError(error)) throw InvalidInputError.of('credentials', `the provider refused them: ${error.message}`);
      throw error;
    } finally {
      session.close();
    }
    if (issues.length > 0) throw new InvalidInputError(issues);
  }

  const get = (id: string): Promise<CloudAccount> => inStep.get(id);

  return {
    get,

    list: (): Promise<CloudAccount[]> => inStep.list(),

    /** Field names with masked values: enough to see which credential fields are set, never their values. */
    maskedCredentials: (account: CloudAccount): Record<string, string> => maskSecretFields(openCredentials(account)),

    /** Stores the account and creates its schedule `cloud-sync:<id>` (paused for interval 0 or enabled false). */
    async create(input: NewCloudAccount): Promise<CloudAccount> {
      await checkAgainstProvider(input.provider, input, input.validate);
      return inStep.create((id) => ({
        name: input.name,
        provider: input.provider,
        credentials: secrets.seal(input.credentials, cloudAccountCredentialsContext(id)),
        endpoint: input.endpoint ?? null,
        regions: input.regions ?? null,
        resourceTypes: input.resourceTypes,
        syncIntervalMinutes: input.syncIntervalMinutes,
        enabled: input.enabled,
      }));
    },

    /** Changes the account; its schedule follows (a new interval, paused for interval 0 or enabled false). */
    async change(id: string, change: CloudAccountChange): Promise<CloudAccount> {
      const current = await get(id);
      const credentials = change.credentials ?? openCredentials(current);
      await checkAgainstProvider(
        current.provider,
        {
          credentials,
          endpoint: change.endpoint === undefined ? current.endpoint : change.endpoint,
          regions: change.regions === undefined ? current.regions : change.regions,
          resourceTypes: change.resourceTypes ?? current.resourceTypes,
        },
        change.validate,
      );
      if (change.name !== undefined) await inStep.refuseTakenName(change.name, current.id);
      const patch: Partial<CloudAccount> = {
        ...(change.name !== undefined ? { name: change.name } : {}),
        ...(change.credentials !== undefined ? { credentials: secrets.seal(change.credentials, cloudAccountCredentialsContext(id)) } : {}),
        ...(change.endpoint !== undefined ? { endpoint: change.endpoint } : {}),
        ...(change.regions !== undefined ? { regions: change.regions } : {}),
        ...(change.resourceTypes !== undefined ? { resourceTypes: change.resourceTypes } : {}),
        ...(change.syncIntervalMinutes !== undefined ? { syncIntervalMinutes: change.syncIntervalMinutes } : {}),
        ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
      };
      return inStep.change(id, current.revision, patch);
    },

    /**
     * Deletes the schedule, cancels the running syncs (manual and scheduled; they end cancelled), then the account
     * with its resources, relations and sync runs. If Temporal refuses, the account is kept as it was.
     */
    delete: (id: string): Promise<void> => inStep.delete(id),

    /** Starts workflow `cloud-sync:<id>` for all or some of the account's types; while one runs, returns that one. */
    async syncNow(id: string, resourceTypes?: string[]): Promise<{ workflowId: string; runId: string }> {
      const account = await get(id);
      inStep.refuseIfDeleting(account);
      const issues: InputIssue[] = [];
      resourceTypes?.forEach((type, index) => {
        if (!account.resourceTypes.includes(type)) issues.push({ path: `resourceTypes.${index}`, message: `the account does not sync ${type}; it syncs ${account.resourceTypes.join(', ')}` });
      });
      if (issues.length > 0) throw new InvalidInputError(issues);
      try {
        return await temporalSide.startManualSync(account, resourceTypes);
      } catch (error) {
        throw DependencyUnavailableError.temporalRefused('start the sync', error);
      }
    },

    /** Brings the schedules of accounts a crash or a refusal left out of step back to their rows. */
    reconcile: () => inStep.reconcile(),
  };
}

export type CloudAccountService = ReturnType<typeof createCloudAccountService>;
