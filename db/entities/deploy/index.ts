// Build and deploy waves: hosts, projects and their member hosts, builds, releases with their per-host results, and
// the live log of both.
import { DeployHostSchema } from './host.ts';
import { DeployProjectSchema } from './project.ts';
import { DeployProjectHostSchema } from './project-host.ts';
import { DeployBuildSchema } from './build.ts';
import { DeployReleaseSchema } from './release.ts';
import { DeployReleaseHostSchema } from './release-host.ts';
import { DeployEventSchema } from './event.ts';

export const DEPLOY_ENTITIES = [DeployHostSchema, DeployProjectSchema, DeployProjectHostSchema, DeployBuildSchema, DeployReleaseSchema, DeployReleaseHostSchema, DeployEventSchema];
