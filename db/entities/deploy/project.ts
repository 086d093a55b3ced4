// What a project is built from and how it is deployed: repository, build argv and artifact, per-host deploy spec,
// the nginx load balancer its hosts sit behind, and (DeployProjectHost) its member hosts.
import { defineEntity, p } from '@mikro-orm/core';
import type { BuildSpec, DeploySpec, LoadBalancerSpec, Repository } from '../../../contracts/deploy.ts';

const DeployProjectSchema = defineEntity({
  name: 'DeployProject',
  tableName: 'deploy_project',
  properties: {
    id: p.uuid().primary(),
    name: p.string().unique(),
    repository: p.json<Repository>(),
    build: p.json<BuildSpec>(),
    deploy: p.json<DeploySpec>(),
    loadBalancer: p.json<LoadBalancerSpec>().nullable(),
    createdAt: p.datetime().onCreate(() => new Date()),
    updatedAt: p.datetime().onCreate(() => new Date()).onUpdate(() => new Date()),
  },
});

export class DeployProject extends DeployProjectSchema.class {}
DeployProjectSchema.setClass(DeployProject);
export { DeployProjectSchema };
