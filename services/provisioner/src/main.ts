import 'reflect-metadata';
import { bootstrapService } from '@fedops/service-kit';
import { AppModule } from './app.module';
import { readProvisionerConfig } from './config/provisioner.config';

void bootstrapService(
  'provisioner',
  () => readProvisionerConfig(),
  (config, logger) => AppModule.register(config, logger),
);
