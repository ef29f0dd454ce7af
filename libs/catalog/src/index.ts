export * from './app-definition';
export * from './apps';
export * from './catalog';
export * from './option-schema';
