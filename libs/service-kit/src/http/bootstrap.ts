import { NestFactory } from '@nestjs/core';
import type { INestApplication } from '@nestjs/common';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError } from '../config/config';
import { JsonLogger, type LogLevel } from '../logging/json-logger';
import { describeError } from '@fedops/domain';
import { acceptJsonBodies } from './json-body';
import { natsConnectionOptions, type NatsConfig } from '../nats/nats-connection';

interface BootConfig extends NatsConfig {
  httpPort: number;
  httpHost: string;
  logLevel: LogLevel;
}

/**
 * Starts a service: reads its configuration (exiting with one readable message listing every bad
 * variable), builds the Nest app with JSON logs, shutdown hooks and JSON request bodies of at most
 * REQUEST_BODY_LIMIT_BYTES (see acceptJsonBodies), lets the service `configure` the
 * app (e.g. mount its OpenAPI document), connects its NATS request/reply handlers (queue group =
 * service name), and listens for HTTP.
 */
export async function bootstrapService<C extends BootConfig>(
  service: string,
  readConfig: () => C,
  buildModule: (config: C, logger: JsonLogger) => unknown,
  configure?: (app: INestApplication, config: C) => void | Promise<void>,
): Promise<INestApplication> {
  let config: C;
  try {
    config = readConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = new JsonLogger(service, config.logLevel);
  try {
    // Nest's module type is structural; each service passes its own DynamicModule.
    const app = await NestFactory.create<NestExpressApplication>(buildModule(config, logger) as never, {
      logger,
      bodyParser: false,
    });
    acceptJsonBodies(app);
    app.enableShutdownHooks();
    if (configure !== undefined) await configure(app, config);
    app.connectMicroservice<MicroserviceOptions>({
      transport: Transport.NATS,
      options: { ...natsConnectionOptions(config, `${service}-rpc`), queue: service },
    });
    await app.startAllMicroservices();
    await app.listen(config.httpPort, config.httpHost);
    logger.emit('info', 'service started', { url: await app.getUrl() });
    return app;
  } catch (err) {
    logger.emit('error', 'service failed to start', { error: describeError(err) });
    process.exit(1);
  }
}
