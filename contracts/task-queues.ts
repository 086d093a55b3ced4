// Task-queue names, one per domain (ARCHITECTURE.md "Task queues, ids and schedules").
export const TASK_QUEUES = {
  cloudSync: 'cloud-sync',
  cmdb: 'cmdb',
  deploy: 'deploy',
  dr: 'dr',
} as const;

export type TaskQueueName = (typeof TASK_QUEUES)[keyof typeof TASK_QUEUES];

export const ALL_TASK_QUEUES: readonly TaskQueueName[] = Object.values(TASK_QUEUES);

/** The task queue a deployment actually uses for a domain: OPSFLOW_TASK_QUEUE_PREFIX + the domain's name. */
export const taskQueueName = (prefix: string, queue: TaskQueueName): string => `${prefix}${queue}`;
