/**
 * The first admin account of a tenant's app, whose password the deployer generated on the first
 * deploy. tenant-api asks the deployer for it once (request/reply, answered with an RpcReply); the
 * deployer marks it revealed in the same statement that reads it, so no second request gets it.
 */
export const ADMIN_PASSWORD_REVEAL_SUBJECT = 'rpc.fedops.deployer.admin-credentials.reveal';

/** What tenant-api asks: the admin password of one app of one tenant (never another secret). */
export interface RevealAdminPasswordRequest {
  tenantId: string;
  app: string;
}

/**
 * The answer: the password, and when it was revealed. Errors: CONFLICT (no such password stored yet:
 * the tenant is not deployed; or the app has no admin account), GONE (revealed before, with
 * `revealedAt` in the extensions), VALIDATION_FAILED (a malformed request).
 */
export interface RevealedAdminPassword {
  password: string;
  revealedAt: string;
}

/** POST /v1/tenants/{id}/apps/{app}/admin-credentials: shown once, never stored by tenant-api. */
export interface AdminCredentialsView {
  app: string;
  username: string;
  /** For apps whose admin has an e-mail address: the option's value, or `owner@<tenant domain>`. */
  email?: string;
  password: string;
  /** Where the admin signs in: the app's first endpoint. */
  loginUrl: string;
}
