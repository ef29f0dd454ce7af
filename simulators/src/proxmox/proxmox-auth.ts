/**
 * pveproxy's authentication: API tokens (`Authorization: PVEAPIToken=USER@REALM!TOKENID=SECRET`, a
 * space also accepted instead of the first `=`, no CSRF token needed) and tickets
 * (`POST /access/ticket`, then `Cookie: PVEAuthCookie=<ticket>` plus `CSRFPreventionToken` on every
 * non-GET). A failed authentication is a 401 with the reason in the status line, no body, answered
 * only after a delay (3 s in pve-http-server).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { SimRequest, SimResponse } from '../common/http-router';
import { pveOk, pveUnauthorized } from './proxmox-errors';

export interface ProxmoxAuthOptions {
  /** `USER@REALM!TOKENID`. */
  tokenId: string;
  /** The token's secret (a lower-case UUID, as Proxmox makes them). */
  tokenSecret: string;
  /** Password of the token's user for ticket logins; undefined: ticket logins always fail. */
  password?: string;
  /** Delay before a 401 is answered (pve-http-server: 3 s). */
  failureDelayMs: number;
}

/** Who a request is, for task UPIDs (`user@realm` or `user@realm!tokenid`). */
export interface Caller {
  userid: string;
}

const TICKET_LIFETIME_MS = 2 * 60 * 60 * 1000;

export class ProxmoxAuth {
  private readonly secret = randomBytes(32);
  readonly user: string;

  constructor(private readonly options: ProxmoxAuthOptions) {
    this.user = options.tokenId.split('!')[0] ?? options.tokenId;
  }

  /** The caller of an authenticated request, or the 401 (after the delay) for one that is not. */
  async authenticate(req: SimRequest): Promise<Caller | SimResponse> {
    const header = req.headers['authorization'];
    if (typeof header === 'string' && header.length > 0) {
      const match = /^PVEAPIToken[= ]([^=\s]+)=(\S+)$/.exec(header.trim());
      if (match && match[1] === this.options.tokenId && match[2] === this.options.tokenSecret) {
        return { userid: this.options.tokenId };
      }
      return this.refuse('Authentication failed!');
    }
    const ticket = cookie(req.headers['cookie'], 'PVEAuthCookie');
    if (ticket === undefined) return this.refuse('No ticket');
    const userid = this.verifyTicket(ticket);
    if (userid === undefined) return this.refuse('Authentication failed!');
    if (req.method !== 'GET') {
      const csrf = req.headers['csrfpreventiontoken'];
      if (typeof csrf !== 'string' || csrf !== this.csrfToken(userid, csrf.split(':')[0] ?? '')) {
        return this.refuse('Permission denied - invalid csrf token');
      }
    }
    return { userid };
  }

  /** `POST /access/ticket`: username + password (or a valid ticket as password, to renew it). */
  async login(req: SimRequest): Promise<SimResponse> {
    const body = req.body;
    const realm = typeof body['realm'] === 'string' ? body['realm'] : undefined;
    let username = typeof body['username'] === 'string' ? body['username'] : '';
    if (realm && !username.includes('@')) username = `${username}@${realm}`;
    const password = typeof body['password'] === 'string' ? body['password'] : '';
    const renewed = this.verifyTicket(password);
    const ok =
      username === this.user &&
      ((this.options.password !== undefined && password === this.options.password) || renewed === this.user);
    if (!ok) return this.refuse('authentication failure');
    const stamp = Math.floor(Date.now() / 1000)
      .toString(16)
      .toUpperCase();
    return pveOk({
      username: this.user,
      ticket: this.ticket(this.user, stamp),
      CSRFPreventionToken: this.csrfToken(this.user, stamp),
      cap: { vms: {}, storage: {}, nodes: {}, access: {}, dc: {}, sdn: {}, mapping: {} },
      clustername: 'fedops-sim',
    });
  }

  private async refuse(reason: string): Promise<SimResponse> {
    await delay(this.options.failureDelayMs);
    return pveUnauthorized(reason);
  }

  private sign(text: string): string {
    return createHmac('sha256', this.secret).update(text).digest('base64url');
  }

  private ticket(userid: string, stamp: string): string {
    const data = `PVE:${userid}:${stamp}`;
    return `${data}::${this.sign(data)}`;
  }

  private csrfToken(userid: string, stamp: string): string {
    return `${stamp}:${this.sign(`csrf:${userid}:${stamp}`)}`;
  }

  private verifyTicket(ticket: string): string | undefined {
    const match = /^PVE:([^:]+):([0-9A-F]{8})::(.+)$/.exec(ticket);
    if (!match || !match[1] || !match[2]) return undefined;
    if (this.sign(`PVE:${match[1]}:${match[2]}`) !== match[3]) return undefined;
    if (Date.now() - parseInt(match[2], 16) * 1000 > TICKET_LIFETIME_MS) return undefined;
    return match[1];
  }
}

function cookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}
