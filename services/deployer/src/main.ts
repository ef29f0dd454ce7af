import 'reflect-metadata';
import { bootstrapService } from '@fedops/service-kit';
import { AppModule } from './app.module';
import { readDeployerConfig } from './config/deployer.config';

void bootstrapService(
  'deployer',
  () => readDeployerConfig(),
  (config, logger) => AppModule.register(config, logger),
);
