import { randomInt } from 'node:crypto';

export const S3_TARGET_REACHES = ['direct', 'ssh-tunnel'] as const;
export type S3TargetReach = (typeof S3_TARGET_REACHES)[number];

/** S3-compatible storage holding each tenant's restic repository under a prefix of one bucket. */
export interface S3Target {
  /** `http(s)://host[:port]`, as the backup service reaches it. */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** How machines reach it (see FEDOPS_BACKUP_S3_REACH). */
  reach: S3TargetReach;
}

/** How one run on a machine reaches the storage: the repository URL there, and a port to forward. */
export interface MachineReach {
  repository: string;
  forward?: { remotePort: number; host: string; port: number };
}

/** Loopback ports on the machine that a tunnelled run may take (above the apps' and below the ephemeral range). */
const TUNNEL_PORTS = { min: 20_000, max: 32_000 } as const;

export class S3Repositories {
  private readonly endpoint: URL;

  constructor(readonly target: S3Target) {
    this.endpoint = new URL(target.endpoint);
    if (this.endpoint.pathname !== '/' || this.endpoint.search !== '') {
      throw new Error(`S3 endpoint ${target.endpoint} must be a bare origin (no path or query)`);
    }
    if (target.reach === 'ssh-tunnel' && this.endpoint.protocol !== 'http:') {
      // Through a forwarded port the machine would connect to 127.0.0.1, and TLS would refuse the
      // storage's certificate; a storage that needs TLS must be reachable directly.
      throw new Error(`S3 endpoint ${target.endpoint}: ssh-tunnel reach needs an http:// endpoint`);
    }
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(target.bucket)) {
      throw new Error(`S3 bucket "${target.bucket}" is not a valid bucket name`);
    }
  }

  /** The tenant's repository as the backup service reaches it (restic `s3:` URL). */
  locationFor(tenantId: string): string {
    return `s3:${this.endpoint.origin}/${this.target.bucket}/${tenantId}`;
  }

  /** The storage's keys as restic reads them (environment only: never on a command line). */
  backendEnv(): Record<string, string> {
    return {
      AWS_ACCESS_KEY_ID: this.target.accessKeyId,
      AWS_SECRET_ACCESS_KEY: this.target.secretAccessKey,
      AWS_DEFAULT_REGION: this.target.region,
    };
  }

  /** The tenant's repository as a run on the machine reaches it; a tunnel gets a fresh port each run. */
  machineReach(tenantId: string): MachineReach {
    if (this.target.reach === 'direct') return { repository: this.locationFor(tenantId) };
    const remotePort = randomInt(TUNNEL_PORTS.min, TUNNEL_PORTS.max);
    const port = Number(this.endpoint.port || (this.endpoint.protocol === 'https:' ? 443 : 80));
    return {
      repository: `s3:http://127.0.0.1:${remotePort}/${this.target.bucket}/${tenantId}`,
      forward: { remotePort, host: this.endpoint.hostname, port },
    };
  }
}
