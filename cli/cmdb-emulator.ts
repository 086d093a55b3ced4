// `opsflow cmdb-emulator`: a BlueKing CMDB stand-in that speaks the resource-watch contract (for the demo, the
// tests and trying opsflow without a CMDB). It runs until SIGINT/SIGTERM.
import { runCmdbEmulatorFromArgs } from '../integrations/cmdb/emulator/server.ts';
import { shutdownOnSignals } from './signals.ts';
import type { CliCommand } from './command.ts';

const optionHelp: Record<string, string> = {
  port: 'port to listen on (default 8090)',
  host: 'address to listen on (default 127.0.0.1)',
  'hold-ms': 'how long a watch call with nothing new is held before the no-event answer (default 20000)',
  'retention-seconds': 'how long events stay watchable before their cursors expire (default 21600)',
  'generate-every-ms': 'make a random topology change this often (default 0: off)',
  seed: 'seed of the change generator (default 1)',
  'app-code': 'ESB / API gateway app code accepted (default opsflow-demo)',
  'app-secret': 'ESB / API gateway app secret accepted (default opsflow-demo-secret)',
  username: 'BlueKing username accepted (default admin)',
};

export const cmdbEmulatorCommand: CliCommand = {
  usage: 'opsflow cmdb-emulator [--port 8090] [--hold-ms N] [--retention-seconds N] [--generate-every-ms N]',
  options: Object.fromEntries(Object.keys(optionHelp).map((name) => [name, { type: 'string' as const }])),
  optionHelp,
  async run(values) {
    const argv = Object.entries(values).flatMap(([name, value]) => (typeof value === 'string' ? [`--${name}`, value] : []));
    const emulator = await runCmdbEmulatorFromArgs(argv);
    await new Promise<void>((resolve) => shutdownOnSignals(resolve));
    await emulator.close();
    return 0;
  },
};
