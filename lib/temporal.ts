// The one Temporal client module for the console, the CLI and the tests' helpers.
import fs from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { config, required } from './config';

/** Connection options from the environment: plain on loopback, TLS with an API key or client certificate. */
export function temporalConnectionOptions(): Pick<ConnectionOptions, 'address' | 'tls'> & { apiKey?: string } {
  const c = config();
  const options: Pick<ConnectionOptions, 'address' | 'tls'> & { apiKey?: string } = { address: required('TEMPORAL_ADDRESS') };
  if (c.TEMPORAL_TLS_CERT_PATH && c.TEMPORAL_TLS_KEY_PATH) {
    options.tls = {
      clientCertPair: { crt: fs.readFileSync(c.TEMPORAL_TLS_CERT_PATH), key: fs.readFileSync(c.TEMPORAL_TLS_KEY_PATH) },
    };
  } else if (c.TEMPORAL_API_KEY) {
    options.tls = true;
  }
  if (c.TEMPORAL_API_KEY) options.apiKey = c.TEMPORAL_API_KEY;
  return options;
}

const globalForTemporal = globalThis as unknown as { safeguardTemporal?: Promise<Client> };

/** The process-wide client, connected once (memoized on globalThis, never one per request). */
export function getTemporalClient(): Promise<Client> {
  globalForTemporal.safeguardTemporal ??= Connection.connect({ ...temporalConnectionOptions(), connectTimeout: 5_000 })
    .then((connection) => new Client({ connection, namespace: config().TEMPORAL_NAMESPACE }))
    .catch((err: unknown) => {
      // A failed connect must not be cached: the next call tries again.
      globalForTemporal.safeguardTemporal = undefined;
      throw err;
    });
  return globalForTemporal.safeguardTemporal;
}

/** A link an operator can follow to the workflow in the Temporal UI. */
export function temporalUiLink(workflowId: string): string {
  const c = config();
  return `${c.TEMPORAL_UI_URL.replace(/\/$/, '')}/namespaces/${encodeURIComponent(c.TEMPORAL_NAMESPACE)}/workflows/${encodeURIComponent(workflowId)}`;
}
