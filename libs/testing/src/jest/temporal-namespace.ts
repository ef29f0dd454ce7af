import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { waitFor } from '../wait-for';
import { testInfra } from './test-infra';

/** A private namespace on the test Temporal server: no service worker polls its task queues. */
export interface TemporalTestNamespace {
  readonly namespace: string;
  readonly address: string;
  readonly client: Client;
  /** Deletes the namespace and closes the connection. */
  close(): Promise<void>;
}

export async function openTemporalTestNamespace(prefix: string): Promise<TemporalTestNamespace> {
  const { address } = testInfra().temporal;
  const namespace = `${prefix}-${randomBytes(4).toString('hex')}`;
  const connection = await Connection.connect({ address });
  try {
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const client = new Client({ connection, namespace });
    // A new namespace reaches the frontend's namespace cache a moment after registration.
    await waitFor(
      async () => {
        await client.workflow.count();
        return true;
      },
      { description: `Temporal namespace ${namespace} to be usable`, timeoutMs: 30_000, intervalMs: 200 },
    );
    return {
      namespace,
      address,
      client,
      close: async () => {
        try {
          await connection.operatorService.deleteNamespace({ namespace });
        } finally {
          await connection.close();
        }
      },
    };
  } catch (error: unknown) {
    await connection.close();
    throw error;
  }
}
