// `opsflow token create`: issues an API bearer token for a subject and role.
import { loadConfig } from '../config/env.ts';
import { isRole, ROLES } from '../security/tokens.ts';
import { openTokenIssuer } from '../workers/local-state.ts';
import { UsageError, type CliCommand } from './command.ts';

export const tokenCommand: CliCommand = {
  usage: 'opsflow token create --role viewer|operator|approver|admin --subject NAME [--expires 30d]',
  options: { role: { type: 'string' }, subject: { type: 'string' }, expires: { type: 'string' } },
  optionHelp: {
    role: `one of ${ROLES.join(', ')}`,
    subject: 'who the token is for (shown in audit fields such as requestedBy)',
    expires: 'lifetime, e.g. 12h, 30d (default 30d)',
  },
  async run(values, positionals) {
    if (positionals[0] !== 'create') throw new UsageError('the only sub-command is `create`');
    const { role, subject } = values;
    if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    if (typeof subject !== 'string' || subject.trim() === '') throw new UsageError('--subject is required');
    const expiresIn = typeof values.expires === 'string' ? values.expires : '30d';
    if (!/^\d+\s*[smhdwy]$/.test(expiresIn)) throw new UsageError('--expires must look like 12h or 30d');
    const token = await openTokenIssuer(loadConfig()).issue({ subject, role, expiresIn });
    process.stdout.write(`${token}\n`);
    return 0;
  },
};
