/**
 * The latency baseline of the api benchmark: a bare NestJS app in its own process, on the same
 * NestJS version and express adapter as the services and with the same JSON body handling
 * (`bodyParser: false` + acceptJsonBodies), but no guard, no database, no logger. Its routes answer
 * constants: `GET /tenant` a tenant view and `GET /page` a page of them, both as tenant-api answered
 * them in the same run (read from the file named by the only argument), so the bytes on the wire
 * match. Listens on a free loopback port and prints `{"msg":"listening","url":...}` once it does.
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { Controller, Get, Inject, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { acceptJsonBodies } from '@fedops/service-kit';

export interface BareBodies {
  tenant: unknown;
  page: unknown;
}

const BODIES = Symbol('BARE_BODIES');

@Controller()
class BareController {
  constructor(@Inject(BODIES) private readonly bodies: BareBodies) {}

  @Get('tenant')
  tenant(): unknown {
    return this.bodies.tenant;
  }

  @Get('page')
  page(): unknown {
    return this.bodies.page;
  }
}

@Module({})
class BareModule {
  static register(bodies: BareBodies): DynamicModule {
    return {
      module: BareModule,
      controllers: [BareController],
      providers: [{ provide: BODIES, useValue: bodies }],
    };
  }
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: bare-nest.js <bodies.json>');
  const bodies = JSON.parse(readFileSync(file, 'utf8')) as BareBodies;
  const app = await NestFactory.create<NestExpressApplication>(BareModule.register(bodies), {
    logger: false,
    bodyParser: false,
  });
  acceptJsonBodies(app);
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: await app.getUrl() })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bare-nest: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
