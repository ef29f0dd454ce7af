export * from './errors';
export * from './domain-name';
export * from './provider-registration';
