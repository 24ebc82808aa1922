import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { Config, temporalAddress } from '../config';

function connectionOptions(config: Config) {
  const apiKey = config.temporal.apiKey;
  return {
    address: temporalAddress(config),
    tls: config.temporal.tls || apiKey !== undefined ? {} : undefined,
    apiKey,
  };
}

/** Client connection (CLI, programmatic API). */
export function connectClient(config: Config): Promise<Connection> {
  return Connection.connect({ ...connectionOptions(config), connectTimeout: '5s' });
}

/** Worker connection. */
export function connectWorker(config: Config): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(config));
}
