import 'reflect-metadata';
import { bootstrapService } from '@fedops/service-kit';
import { AppModule } from './app.module';
import { readDnsConfig } from './config/dns.config';

void bootstrapService(
  'dns',
  () => readDnsConfig(),
  (config, logger) => AppModule.register(config, logger),
);
