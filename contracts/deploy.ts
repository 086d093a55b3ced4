// The build-and-deploy contract shared by the API, the services, the workflows and the activities: what a host, a
// project, a build and a release are made of (zod schemas, so every layer validates the same way), their states,
// workflow ids, the workflow inputs (ids only) and the updates and signals a release answers.
import { defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------- shared pieces

/** An argv word: no NUL (no command line can carry it); never joined into a shell string. */
const argvWord = z.string().max(4096).refine((word) => !word.includes('\0'), 'must not contain a NUL byte');
const argv = z.array(argvWord).min(1, 'must name the command to run').max(256).refine((words) => words[0] !== '', 'the command (first word) must not be empty');

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are letters, digits and underscores');
const envMap = z.record(envName, z.string().max(4096).refine((value) => !value.includes('\0'), 'must not contain a NUL byte'));

/**
 * A relative path inside a directory opsflow owns (the project's deploy dir, a build workspace): no absolute path, no
 * `..` segment, no NUL, no leading `-` (it would read as an option to the commands that take it).
 */
export const confinedRelativePath = z
  .string()
  .min(1)
  .max(1024)
  .refine((path) => !path.startsWith('/'), 'must be relative')
  .refine((path) => !path.split('/').some((segment) => segment === '..'), 'must not contain a .. segment')
  .refine((path) => !path.includes('\0') && !path.startsWith('-'), 'must not contain a NUL byte or start with -');

/** A directory on a host: relative to the remote user's home, or absolute; no `..`, no NUL. */
const hostDirectory = z
  .string()
  .min(1)
  .max(1024)
  .refine((path) => !path.split('/').some((segment) => segment === '..'), 'must not contain a .. segment')
  .refine((path) => !path.includes('\0') && !path.startsWith('-'), 'must not contain a NUL byte or start with -');

const absolutePath = z.string().min(2).max(1024).refine((path) => path.startsWith('/') && !path.includes('\0'), 'must be an absolute path');
const tcpPort = z.number().int().min(1).max(65535);
const labels = z.record(z.string().min(1).max(63), z.string().max(255));

// ------------------------------------------------------------------------------------------------------------ hosts

export const HOST_EXECUTORS = ['ssh', 'local'] as const;
export type HostExecutorKind = (typeof HOST_EXECUTORS)[number];

/** A host name or an IP address as a deploy target; opsflow never dials metadata or link-local addresses. */
const hostAddress = z.string().min(1).max(253).regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or an IP address');

export const hostCreateSchema = z
  .object({
    name: z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ - (starting with a letter or digit)'),
    address: hostAddress,
    port: tcpPort.default(22),
    executor: z.enum(HOST_EXECUTORS),
    /** ssh only: the private key is sealed (`deploy_host:<id>`), never returned. */
    credentials: z.object({ username: z.string().min(1).max(64).regex(/^[a-z_][a-z0-9_.-]*$/i, 'a Unix user name'), privateKey: z.string().min(1).max(16384) }).strict().optional(),
    /** ssh only: the host's public key as an OpenSSH line (`ssh-ed25519 AAAA...`), pinned: any other key is refused. */
    hostKey: z.string().min(1).max(8192).optional(),
    labels: labels.default({}),
    /** A cloud inventory resource this host is (its id in GET /v1/cloud-inventory). */
    cloudResourceId: z.uuid().optional(),
  })
  .strict()
  .superRefine((host, context) => {
    if (host.executor === 'ssh') {
      if (!host.credentials) context.addIssue({ code: 'custom', path: ['credentials'], message: 'an ssh host needs credentials {username, privateKey}' });
      if (!host.hostKey) context.addIssue({ code: 'custom', path: ['hostKey'], message: 'an ssh host needs its pinned host key (an OpenSSH public key line)' });
    }
  });
export type HostCreate = z.infer<typeof hostCreateSchema>;

// --------------------------------------------------------------------------------------------------------- projects

export const REPOSITORY_KINDS = ['git', 'svn'] as const;

export const repositorySchema = z
  .object({
    kind: z.enum(REPOSITORY_KINDS),
    url: z.string().min(1).max(2048).refine((url) => !url.startsWith('-'), 'must not start with -'),
    /** git: the branch; svn: the path under the repository root (e.g. `trunk`). */
    branch: z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'letters, digits, . _ / - (starting with a letter or digit)').default('main'),
  })
  .strict();
export type Repository = z.infer<typeof repositorySchema>;

export const buildSpecSchema = z
  .object({
    argv,
    env: envMap.default({}),
    /** The artifact the build produces, relative to the checkout: a path or a glob that must match exactly one file. */
    artifact: confinedRelativePath,
    timeoutSeconds: z.number().int().min(1).max(86_400).default(900),
  })
  .strict();
export type BuildSpec = z.infer<typeof buildSpecSchema>;

export const healthCheckSchema = z
  .object({
    /** An HTTP path on host.address:port; healthy answers are 2xx. Exactly one of http or tcp. */
    http: z.string().regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/, 'must be a path starting with /').optional(),
    tcp: z.literal(true).optional(),
    /** Consecutive passes needed: an app that answers once and dies is not healthy. */
    passes: z.number().int().min(1).max(100).default(3),
    intervalMs: z.number().int().min(100).max(60_000).default(500),
    timeoutSeconds: z.number().int().min(1).max(3600).default(60),
  })
  .strict()
  .refine((health) => (health.http === undefined) !== (health.tcp === undefined), 'give exactly one of http (a path) or tcp (true)');
export type HealthCheck = z.infer<typeof healthCheckSchema>;

/** Variable names usable in templates next to host, port and build (`{{ name }}`). */
const variableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/, 'letters, digits and underscores');
/**
 * Variable values are plain text without shell or path metacharacters, so a template that puts one into a command line
 * or a path cannot be turned into something else.
 */
export const templateVariableValue = z.string().max(1024).regex(/^[A-Za-z0-9 _.,:@%+=-]*$/, 'letters, digits, spaces and _ . , : @ % + = - only (no shell or path metacharacters)');

export const deploySpecSchema = z
  .object({
    kind: z.literal('process'),
    /** Where the artifact goes and the commands run: relative to the remote user's home unless absolute. */
    dir: hostDirectory,
    stopArgv: argv,
    startArgv: argv,
    port: tcpPort,
    health: healthCheckSchema.optional(),
    templates: z.array(z.object({ path: confinedRelativePath, content: z.string().max(65_536) }).strict()).max(50).default([]),
    variables: z.record(variableName, templateVariableValue).default({}),
    /** Bounds each command on a host. */
    commandTimeoutSeconds: z.number().int().min(1).max(3600).default(120),
  })
  .strict();
export type DeploySpec = z.infer<typeof deploySpecSchema>;

export const loadBalancerSchema = z
  .object({
    /** The host whose nginx holds the upstream (any executor). */
    hostId: z.uuid(),
    upstreamFile: absolutePath,
    upstreamName: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . -'),
    reloadArgv: argv,
    testArgv: argv,
    pidFile: absolutePath,
  })
  .strict();
export type LoadBalancerSpec = z.infer<typeof loadBalancerSchema>;

export const projectCreateSchema = z
  .object({
    name: z.string().min(1).max(100).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, . _ - (starting with a letter or digit)'),
    repository: repositorySchema,
    build: buildSpecSchema,
    deploy: deploySpecSchema,
    loadBalancer: loadBalancerSchema.optional(),
    /** Member hosts, in the order releases take them. */
    hostIds: z.array(z.uuid()).max(10_000).default([]).refine((ids) => new Set(ids).size === ids.length, 'must not list a host twice'),
  })
  .strict();
export type ProjectCreate = z.infer<typeof projectCreateSchema>;

// ----------------------------------------------------------------------------------------------------------- builds

export const BUILD_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type BuildState = (typeof BUILD_STATES)[number];
export const FINAL_BUILD_STATES: readonly BuildState[] = ['succeeded', 'failed', 'cancelled'];

export interface ChangelogEntry {
  commit: string;
  author: string;
  /** ISO 8601. */
  date: string;
  subject: string;
}

export interface BuildArtifact {
  /** The file name the artifact is uploaded under in the project's deploy dir. */
  name: string;
  /** Its key in the artifact store. */
  key: string;
  sha256: string;
  size: number;
}

export const buildRequestSchema = z
  .object({
    /** git: a commit, tag or branch; svn: a revision number. Default: the head of the project's branch. */
    ref: z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9._/-]*$/, 'a commit, tag, branch or revision (letters, digits, . _ / -)').optional(),
  })
  .strict();

export interface BuildInput {
  buildId: string;
}

export const buildWorkflowId = (buildId: string) => `build:${buildId}`;

// --------------------------------------------------------------------------------------------------------- releases

export const batchSizeSchema = z.union([
  z.number().int().min(1),
  z.string().regex(/^(100|[1-9][0-9]?)(\.[0-9]+)?%$/, 'a percentage such as "25%" (above 0, at most 100)') as z.ZodType<`${number}%`>,
]);

export const strategySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('serial') }).strict(),
  z.object({ kind: z.literal('halves') }).strict(),
  z.object({ kind: z.literal('auto') }).strict(),
  z.object({ kind: z.literal('waves'), batches: z.array(batchSizeSchema).min(1).max(100) }).strict(),
]);
export type ReleaseStrategy = z.infer<typeof strategySchema>;

export const ON_HOST_FAILURE = ['stop', 'ask'] as const;
export type OnHostFailure = (typeof ON_HOST_FAILURE)[number];

export const releaseRequestSchema = z
  .object({
    buildId: z.uuid(),
    strategy: strategySchema.default({ kind: 'serial' }),
    /** The release stops once its failed hosts exceed this count (counted against the whole release). */
    maxFailures: z.number().int().min(0).optional(),
    /** The release stops once its failed hosts exceed this percentage of all its hosts. */
    maxFailurePercent: z.number().min(0).max(100).optional(),
    onHostFailure: z.enum(ON_HOST_FAILURE).default('stop'),
    /** Between waves: seconds to wait, or `manual` (waits for POST /v1/releases/:id/continue). */
    pauseBetweenWaves: z.union([z.number().int().min(1).max(86_400), z.literal('manual')]).optional(),
    requireApproval: z.boolean().default(false),
    /** How long an approval may take before the release ends `expired`. */
    approvalTimeoutSeconds: z.number().int().min(1).max(30 * 86_400).default(86_400),
    /** On failure, hosts that received the new build go back to the previous successful one (others are untouched). */
    rollbackOnFailure: z.boolean().default(true),
    /** Only these member hosts (default: all of the project's hosts). */
    hostIds: z.array(z.uuid()).min(1).optional(),
  })
  .strict();
export type ReleaseRequest = z.infer<typeof releaseRequestSchema>;

export const RELEASE_STATES = ['pending_approval', 'approved', 'running', 'paused', 'succeeded', 'failed', 'rolled_back', 'cancelled', 'rejected', 'expired'] as const;
export type ReleaseState = (typeof RELEASE_STATES)[number];
export const FINAL_RELEASE_STATES: readonly ReleaseState[] = ['succeeded', 'failed', 'rolled_back', 'cancelled', 'rejected', 'expired'];
/** At most one release per project is in one of these (a partial unique index enforces it; a second gets 409). */
export const ACTIVE_RELEASE_STATES: readonly ReleaseState[] = ['pending_approval', 'approved', 'running', 'paused'];

/**
 * pending: not reached yet. current: already on the release's build (a resumed release skips it). succeeded: deployed
 * and healthy. failed: a step failed or timed out (the step says which). skipped: an operator chose skip, or the
 * release stopped before reaching it. rolled_back: it had received the build and went back to the previous one.
 * left_out: it could not be put back in the upstream (reported, never silent).
 */
export const RELEASE_HOST_STATES = ['pending', 'current', 'running', 'waiting_decision', 'succeeded', 'failed', 'skipped', 'rolling_back', 'rolled_back', 'left_out', 'cancelled'] as const;
export type ReleaseHostState = (typeof RELEASE_HOST_STATES)[number];

/** The per-host steps, in order; a rollback runs the same steps with the previous build. */
export const DEPLOY_STEPS = ['drain', 'stop', 'upload', 'templates', 'start', 'health', 'undrain'] as const;
export type DeployStepName = (typeof DEPLOY_STEPS)[number];

export const STEP_STATES = ['running', 'succeeded', 'failed', 'skipped'] as const;
export interface ReleaseHostStep {
  /** A rollback records its steps with phase rollback, after the deploy's. */
  phase: 'deploy' | 'rollback';
  name: DeployStepName;
  state: (typeof STEP_STATES)[number];
  startedAt: string;
  finishedAt?: string;
  error?: string;
}

export const HOST_DECISIONS = ['retry', 'skip', 'abort'] as const;
export type HostDecision = (typeof HOST_DECISIONS)[number];

export interface ReleaseInput {
  releaseId: string;
}

export const releaseWorkflowId = (releaseId: string) => `release:${releaseId}`;

/**
 * One host's deploy (or rollback to the release's previousBuildId): drain, stop, upload, templates, start, health,
 * undrain, as ONE activity that heartbeats per step and records each step on the DeployReleaseHost row, so a retried
 * attempt resumes after the last step recorded as succeeded (one activity per host rather than per step keeps a
 * 200-host release far below 2,000 history events).
 */
export interface DeployHostInput {
  releaseId: string;
  hostId: string;
  mode: 'deploy' | 'rollback';
}

/**
 * A step that failed on the host (non-zero exit, failed health check, a command that timed out) is an outcome, not
 * an exception: the workflow applies the release's failure policy. Only transient trouble (a dropped connection)
 * throws, and is retried. A failed host stays drained (`down` in the upstream) until a rollback or the cleanup
 * decides; a healthy one is back in the upstream when this returns.
 */
export interface DeployHostOutcome {
  state: 'succeeded' | 'failed';
  failedStep?: DeployStepName;
  /** In opsflow's words, e.g. `health: 0 of 3 consecutive passes within 30 s (last: connection refused)`. */
  error?: string;
}

/**
 * The release's non-cancellable cleanup: every member host the release took out of the upstream goes back in if it
 * is healthy (its last deploy or rollback succeeded, or it was never touched); others are reported as left out.
 */
export interface RestoreUpstreamInput {
  releaseId: string;
}
export interface RestoreUpstreamOutcome {
  restored: string[];
  leftOut: Array<{ hostId: string; reason: string }>;
}

/** Approve or reject a release waiting in pending_approval; the workflow refuses its requester. */
export const approveReleaseUpdate = defineUpdate<{ state: ReleaseState }, [{ by: string }]>('approveRelease');
export const rejectReleaseUpdate = defineUpdate<{ state: ReleaseState }, [{ by: string }]>('rejectRelease');
/** An operator's decision for a host waiting in waiting_decision (onHostFailure "ask"). */
export const hostDecisionUpdate = defineUpdate<{ state: ReleaseHostState }, [{ hostId: string; action: HostDecision; by: string }]>('hostDecision');
/** Continue a release paused between waves with pauseBetweenWaves "manual". */
export const continueReleaseUpdate = defineUpdate<{ state: ReleaseState }, [{ by: string }]>('continueRelease');
/** Kept for the CLI: `temporal workflow signal --name continueRelease` does what POST .../continue does. */
export const continueReleaseSignal = defineSignal<[{ by: string }]>('continueReleaseSignal');

// ----------------------------------------------------------------------------------------------------------- events

/** Live log and state changes of builds and releases, in the order they happened (served as Server-Sent Events). */
export const DEPLOY_EVENT_KINDS = ['line', 'state'] as const;
export type DeployEventKind = (typeof DEPLOY_EVENT_KINDS)[number];
