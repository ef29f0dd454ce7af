import { randomBytes } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { FedopsError } from '@fedops/domain';
import { ResticCli } from './restic-cli';

/**
 * Where restic repositories live. One implementation now (a local folder); a rest-server and an
 * S3 target can follow without touching the manager.
 */
export interface BackupTarget {
  readonly kind: string;
  /** The restic repository string for a tenant (a path, `rest:...`, `s3:...`). */
  locationFor(tenantId: string): string;
  /** Makes sure restic can create the repository there (e.g. the parent folder exists). */
  prepare(location: string): Promise<void>;
  /** Deletes the repository and all its data; `deleted: false` when nothing was there. */
  remove(location: string): Promise<{ deleted: boolean }>;
}

/** Repositories as folders `<rootDir>/<tenantId>` on a local (or mounted) file system. */
export class LocalDirectoryTarget implements BackupTarget {
  readonly kind = 'local';
  readonly rootDir: string;

  constructor(rootDir: string) {
    this.rootDir = resolve(rootDir);
  }

  locationFor(tenantId: string): string {
    return join(this.rootDir, tenantId);
  }

  async prepare(location: string): Promise<void> {
    this.assertInside(location);
    await mkdir(this.rootDir, { recursive: true, mode: 0o700 });
  }

  async remove(location: string): Promise<{ deleted: boolean }> {
    const path = this.assertInside(location);
    const existed = await stat(path).then(
      () => true,
      (err: unknown) => {
        if (isErrnoException(err) && err.code === 'ENOENT') return false;
        throw err;
      },
    );
    if (existed) await rm(path, { recursive: true, force: true });
    return { deleted: existed };
  }

  /** Refuses anything but a direct child of rootDir, so a bad location can never delete elsewhere. */
  private assertInside(location: string): string {
    const path = resolve(location);
    if (dirname(path) !== this.rootDir) {
      throw new Error(`backup location ${location} is not a repository folder under ${this.rootDir}`);
    }
    return path;
  }
}

export interface EnsuredRepository {
  /** restic's own repository id (from its config). */
  repositoryId: string;
  location: string;
  created: boolean;
  /** The repository password; the caller stores it encrypted (SecretBox) and never logs it. */
  password: string;
}

const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/**
 * One restic repository per tenant. Idempotent: ensuring twice opens the existing repository.
 * To stay retry-safe, callers should generate the password (`generatePassword`), store it, and pass
 * it in; a repository created with a password nobody stored cannot be opened again.
 */
export class ResticRepositoryManager {
  private readonly target: BackupTarget;
  private readonly restic: ResticCli;

  constructor(
    options: { rootDir: string; restic?: ResticCli } | { target: BackupTarget; restic?: ResticCli },
  ) {
    this.target = 'target' in options ? options.target : new LocalDirectoryTarget(options.rootDir);
    this.restic = options.restic ?? new ResticCli();
  }

  /** 32 random bytes, base64url (43 characters). */
  static generatePassword(): string {
    return randomBytes(32).toString('base64url');
  }

  locationFor(tenantId: string): string {
    checkTenantId(tenantId);
    return this.target.locationFor(tenantId);
  }

  /**
   * Creates the tenant's repository, or opens the existing one with `password`.
   * Throws a ResticError of kind `wrong-password` when a repository exists that the password does not open.
   */
  async ensureRepository(tenantId: string, password?: string): Promise<EnsuredRepository> {
    const location = this.locationFor(tenantId);
    const secret = password ?? ResticRepositoryManager.generatePassword();
    if (secret.length === 0) throw new Error('repository password must not be empty');
    await this.target.prepare(location);
    const { created, repositoryId } = await this.restic.init(location, secret);
    return { repositoryId, location, created, password: secret };
  }

  /** Deletes the repository with all snapshots; idempotent. */
  async deleteRepository(location: string): Promise<{ deleted: boolean }> {
    return this.target.remove(location);
  }
}

function checkTenantId(tenantId: string): void {
  if (!TENANT_ID.test(tenantId)) {
    throw FedopsError.validation([
      {
        field: 'tenantId',
        message: 'must be 1-128 letters, digits, "-" or "_", starting with a letter or digit',
      },
    ]);
  }
}

/** Duck-typed: errors from node:fs may come from another realm (e.g. under jest), failing `instanceof Error`. */
function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return typeof err === 'object' && err !== null && 'code' in err;
}
