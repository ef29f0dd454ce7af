import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Endpoint } from '@fedops/testing';
import type { SimulatedProvider } from './simulated-providers';

/** `<dataDir>/endpoints.json`: every local endpoint and where its credentials are, for scripts. */
export interface EndpointsFile {
  api: { url: string; openapi: string };
  oidc: {
    issuer: string;
    tokenEndpoint: string;
    /** Seeded clients; each secret is the value under the client id in `secretsFile` (0600). */
    clients: Record<string, { clientId: string; secretsFile: string }>;
  };
  temporal: { address: string | null; ui: string | null; namespace: string };
  /** The S3 server backups go to; its secret is the value under `secretKey` in `secretsFile` (0600). */
  s3: {
    endpoint: string;
    region: string;
    bucket: string;
    accessKeyId: string;
    secretsFile: string | null;
    secretKey: 'secretAccessKey';
  } | null;
  status: string;
  logs: string;
  /** Simulated providers: their API base URL, the provider name they are registered under, their secret. */
  simulators: Record<
    string,
    { url: string; provider: string; secretsFile: string; secretKey: string; tokenId?: string }
  >;
}

export function endpointsFilePath(dataDir: string): string {
  return join(dataDir, 'endpoints.json');
}

export function buildEndpointsFile(input: {
  apiUrl: string;
  issuerUrl: string;
  clients: Record<string, string>;
  clientSecretsFile: string;
  temporalAddress: string | undefined;
  temporalUi: string | undefined;
  s3: { endpoint: S3Endpoint; secretsFile: string | undefined } | undefined;
  statusUrl: string;
  logsDir: string;
  simulated: readonly SimulatedProvider[];
}): EndpointsFile {
  return {
    api: { url: input.apiUrl, openapi: `${input.apiUrl}/openapi.json` },
    oidc: {
      issuer: input.issuerUrl,
      tokenEndpoint: `${input.issuerUrl}/token`,
      clients: Object.fromEntries(
        Object.entries(input.clients).map(([name, clientId]) => [
          name,
          { clientId, secretsFile: input.clientSecretsFile },
        ]),
      ),
    },
    temporal: { address: input.temporalAddress ?? null, ui: input.temporalUi ?? null, namespace: 'default' },
    s3:
      input.s3 === undefined
        ? null
        : {
            endpoint: input.s3.endpoint.endpoint,
            region: input.s3.endpoint.region,
            bucket: input.s3.endpoint.bucket,
            accessKeyId: input.s3.endpoint.accessKeyId,
            secretsFile: input.s3.secretsFile ?? null,
            secretKey: 'secretAccessKey',
          },
    status: input.statusUrl,
    logs: input.logsDir,
    simulators: Object.fromEntries(
      input.simulated.map((s) => [
        s.kind,
        {
          url: s.simulator.url,
          provider: s.registration.name,
          secretsFile: s.secretsFile,
          secretKey: s.kind,
          ...(s.kind === 'proxmox' ? { tokenId: s.registration.credentials['tokenId'] } : {}),
        },
      ]),
    ),
  };
}

export async function writeEndpointsFile(dataDir: string, file: EndpointsFile): Promise<void> {
  await writeFile(endpointsFilePath(dataDir), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
}
