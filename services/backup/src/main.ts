import 'reflect-metadata';
import { bootstrapService } from '@fedops/service-kit';
import { AppModule } from './app.module';
import { readBackupConfig } from './config/backup.config';

void bootstrapService(
  'backup',
  () => readBackupConfig(),
  (config, logger) => AppModule.register(config, logger),
);
