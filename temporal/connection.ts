// One place that turns the configuration into Temporal connections: the client used by the API and the
// scheduler, the native connection used by workers, and the data converter (encryption codec + encoded
// failure messages) that both must share byte for byte.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../config/env.ts';
import type { Keyring } from '../security/keyring.ts';
import { EncryptionCodec } from './codec.ts';

export const FAILURE_CONVERTER_PATH = fileURLToPath(new URL('../contracts/failure-converter.ts', import.meta.url));

export function createDataConverter(keyring: Keyring): DataConverter {
  return {
    payloadCodecs: [new EncryptionCodec(keyring)],
    // Without this, failure messages and stack traces would be stored in history as plaintext.
    failureConverterPath: FAILURE_CONVERTER_PATH,
  };
}

export interface TemporalTarget {
  address: string;
  namespace: string;
}

function tlsOptions(config: Config['temporal']): ConnectionOptions['tls'] {
  if (!config.tls) return undefined;
  return {
    serverNameOverride: config.tlsServerName,
    serverRootCACertificate: config.tlsCa ? readFileSync(config.tlsCa) : undefined,
    clientCertPair:
      config.tlsCert && config.tlsKey ? { crt: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined,
  };
}

/** Where to connect: the configured cluster, or the embedded dev server started by `opsflow up`. */
export function temporalTarget(config: Config): TemporalTarget {
  return {
    address: config.temporal.address ?? `127.0.0.1:${config.temporal.devPort}`,
    namespace: config.temporal.namespace,
  };
}

export async function connectClient(config: Config, keyring: Keyring): Promise<Client> {
  const { address, namespace } = temporalTarget(config);
  const connection = await Connection.connect({
    address,
    tls: tlsOptions(config.temporal),
    apiKey: config.temporal.apiKey,
  });
  return new Client({ connection, namespace, dataConverter: createDataConverter(keyring) });
}

export async function connectWorkerConnection(config: Config): Promise<NativeConnection> {
  const { address } = temporalTarget(config);
  const options: NativeConnectionOptions = {
    address,
    tls: tlsOptions(config.temporal) as NativeConnectionOptions['tls'],
    apiKey: config.temporal.apiKey,
  };
  return NativeConnection.connect(options);
}
