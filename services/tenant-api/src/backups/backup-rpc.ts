import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { NatsRpc, PROVISIONER_RPC } from '../provisioner-rpc/provisioner-rpc';

/** The backup service's answers (a tenant's snapshots), over tenant-api's one NATS request/reply client. */
@Injectable()
export class BackupRpc extends NatsRpc {
  constructor(@Inject(PROVISIONER_RPC) client: ClientProxy) {
    super(client, 'backup service');
  }
}
