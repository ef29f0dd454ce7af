import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { s3ErrorCode, signS3Request } from '@fedops/service-kit';
import type { S3Target } from './s3-target';

export interface S3Object {
  key: string;
  lastModified: Date;
  size: number;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * The few S3 calls fedops makes itself, signed with the target's keys (restic makes the others):
 * listing a repository's objects (a snapshot's full id from the short one restic 0.14 prints, at
 * the cost of one listing instead of a second restic process that opens the repository), deleting
 * a repository's objects when it is purged.
 */
export class S3Objects {
  constructor(private readonly target: S3Target) {}

  /** Every object under `prefix` (ListObjectsV2, page by page). */
  async list(prefix: string): Promise<S3Object[]> {
    const objects: S3Object[] = [];
    let token: string | undefined;
    do {
      const url = new URL(`${this.target.endpoint.replace(/\/$/, '')}/${this.target.bucket}`);
      url.searchParams.set('list-type', '2');
      url.searchParams.set('prefix', prefix);
      if (token !== undefined) url.searchParams.set('continuation-token', token);
      const body = await this.request('GET', url.toString(), `list ${prefix}`, [200]);
      for (const match of body.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const entry = match[1] ?? '';
        const key = xmlText(entry, 'Key');
        const lastModified = new Date(xmlText(entry, 'LastModified') ?? '');
        if (key === undefined || Number.isNaN(lastModified.getTime())) {
          throw new FedopsError(
            FedopsErrorCode.ProviderFailed,
            `S3 listing of ${prefix}: an entry without key or time`,
          );
        }
        objects.push({ key, lastModified, size: Number(xmlText(entry, 'Size') ?? '0') });
      }
      token = xmlText(body, 'IsTruncated') === 'true' ? xmlText(body, 'NextContinuationToken') : undefined;
    } while (token !== undefined);
    return objects;
  }

  /** Deletes every object under `prefix`; the number deleted. */
  async deleteAll(prefix: string): Promise<number> {
    const objects = await this.list(prefix);
    for (const { key } of objects) {
      const url = `${this.target.endpoint.replace(/\/$/, '')}/${this.target.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
      await this.request('DELETE', url, `delete ${key}`, [200, 204, 404]);
    }
    return objects.length;
  }

  private async request(method: string, url: string, what: string, ok: number[]): Promise<string> {
    const headers = signS3Request({ method, url }, { ...this.target }, new Date());
    let response: Response;
    try {
      response = await fetch(url, { method, headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      throw new FedopsError(FedopsErrorCode.ProviderFailed, `S3 ${what}: the storage did not answer`, {
        cause: err,
      });
    }
    const body = await response.text();
    if (!ok.includes(response.status)) {
      const code = s3ErrorCode(body) ?? `HTTP ${response.status}`;
      // Refused keys stay refused; anything else may pass on another attempt.
      const refused =
        code === 'AccessDenied' || code === 'InvalidAccessKeyId' || code === 'SignatureDoesNotMatch';
      const error = new FedopsError(
        refused ? FedopsErrorCode.Forbidden : FedopsErrorCode.ProviderFailed,
        `S3 ${what}: the storage answered ${code}`,
      );
      throw error;
    }
    return body;
  }
}

function xmlText(xml: string, tag: string): string | undefined {
  const raw = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
  return raw
    ?.replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
