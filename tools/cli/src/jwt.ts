/**
 * The claims of a JWT, decoded locally and NOT verified (the API verifies tokens; this only shows
 * what a token says). Undefined for a token that is not a JWT (an opaque API token).
 */
export function decodeJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** When a JWT expires (its `exp`), in ms since the epoch. */
export function tokenExpiry(token: string): number | undefined {
  const exp = decodeJwtClaims(token)?.['exp'];
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

/** Whether a JWT expires within `marginMs` of `now`; false for opaque tokens, which we cannot tell. */
export function tokenExpired(token: string, now: number, marginMs = 30_000): boolean {
  const expiry = tokenExpiry(token);
  return expiry !== undefined && expiry - marginMs <= now;
}
