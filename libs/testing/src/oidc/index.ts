export * from './oidc-issuer';
export * from './fetch-token';
