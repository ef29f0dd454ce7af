import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { NatsRpc, PROVISIONER_RPC } from '../provisioner-rpc/provisioner-rpc';

/**
 * The deployer's questions (an app's first admin password), over tenant-api's one NATS request/reply
 * client. None of them is sent again while no answer came: a reveal changes state.
 */
@Injectable()
export class DeployerRpc extends NatsRpc {
  constructor(@Inject(PROVISIONER_RPC) client: ClientProxy) {
    super(client, 'deployer');
  }
}
