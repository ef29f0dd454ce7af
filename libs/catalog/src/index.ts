export * from './app-definition';
export * from './apps';
export * from './catalog';
