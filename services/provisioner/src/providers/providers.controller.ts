import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  PROVIDERS_GET_SUBJECT,
  PROVIDERS_LIST_SUBJECT,
  PROVIDERS_REGISTER_SUBJECT,
  PROVIDERS_REMOVE_SUBJECT,
  PROVIDERS_TEST_SUBJECT,
  type ProviderView,
  type RpcReply,
} from '@fedops/contracts';
import { FedopsError } from '@fedops/domain';
import { JsonLogger, rpcReply } from '@fedops/service-kit';
import { ProviderRegistry } from './provider-registry.service';

/** NATS request/reply for ops staff managing providers through tenant-api (which checks who asks). */
@Controller()
export class ProvidersController {
  private readonly log;

  constructor(
    private readonly registry: ProviderRegistry,
    logger: JsonLogger,
  ) {
    this.log = logger.child('providers-rpc');
  }

  @MessagePattern(PROVIDERS_REGISTER_SUBJECT)
  register(@Payload() body: unknown): Promise<RpcReply<ProviderView>> {
    return rpcReply('provisioner', this.log, 'register the provider', () => this.registry.register(body));
  }

  @MessagePattern(PROVIDERS_LIST_SUBJECT)
  list(): Promise<RpcReply<ProviderView[]>> {
    return rpcReply('provisioner', this.log, 'list providers', () => this.registry.list());
  }

  @MessagePattern(PROVIDERS_GET_SUBJECT)
  get(@Payload() body: unknown): Promise<RpcReply<ProviderView>> {
    return rpcReply('provisioner', this.log, 'read the provider', () => this.registry.get(providerRef(body)));
  }

  @MessagePattern(PROVIDERS_TEST_SUBJECT)
  test(@Payload() body: unknown): Promise<RpcReply<ProviderView>> {
    return rpcReply('provisioner', this.log, 'test the provider', () =>
      this.registry.test(providerRef(body)),
    );
  }

  @MessagePattern(PROVIDERS_REMOVE_SUBJECT)
  remove(@Payload() body: unknown): Promise<RpcReply<{ removed: string }>> {
    return rpcReply('provisioner', this.log, 'remove the provider', () =>
      this.registry.remove(providerRef(body)),
    );
  }
}

/** `{ provider: <id or name> }`, validated at this edge. */
function providerRef(body: unknown): string {
  const ref = (body as { provider?: unknown } | null)?.provider;
  if (typeof ref !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(ref)) {
    throw FedopsError.validation([{ field: 'provider', message: 'must be a provider id or name' }]);
  }
  return ref;
}
