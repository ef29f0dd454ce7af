import { createHash, createHmac, randomBytes } from 'node:crypto';
import { delimiter, join } from 'node:path';

/**
 * The S3 server (versitygw 1.8 with its posix backend) without its process: its arguments, where
 * its binary is, its keys, and AWS Signature Version 4 for the few requests the harness makes itself.
 */

export const VERSITYGW_VERSION = 'v1.8.0';
/** versitygw's default region; passed explicitly so the endpoint and the server agree. */
export const S3_REGION = 'us-east-1';
/** The bucket the harness creates on every start: the backups' object storage. */
export const S3_BUCKET = 'fedops-backups';
/** Unauthenticated GET answering 200 `OK` (versitygw --health): compose's healthcheck. */
export const VERSITYGW_HEALTH_PATH = '/health';

export interface VersitygwArgs {
  readonly port: number;
  /** Top-level directory of the posix backend: each subdirectory is a bucket. */
  readonly rootDir: string;
  readonly region: string;
}

/** The root keys are not arguments: they go in ROOT_ACCESS_KEY_ID / ROOT_SECRET_ACCESS_KEY (not in `ps`). */
export function versitygwArgs(input: VersitygwArgs): string[] {
  return [
    '--port',
    `127.0.0.1:${input.port}`,
    '--region',
    input.region,
    '--health',
    VERSITYGW_HEALTH_PATH,
    // No line per request in the log (restic makes many).
    '--quiet',
    'posix',
    input.rootDir,
  ];
}

/**
 * Where to look for versitygw, in order: FEDOPS_VERSITYGW_BIN, `$(go env GOPATH)/bin/versitygw`,
 * `/root/go/bin/versitygw`, `versitygw` in each PATH directory.
 */
export function versitygwBinaryCandidates(
  env: { FEDOPS_VERSITYGW_BIN?: string; PATH?: string },
  goPath: string | undefined,
): string[] {
  const candidates: string[] = [];
  if (env.FEDOPS_VERSITYGW_BIN) candidates.push(env.FEDOPS_VERSITYGW_BIN);
  for (const dir of (goPath ?? '').split(':')) if (dir) candidates.push(join(dir, 'bin', 'versitygw'));
  candidates.push('/root/go/bin/versitygw');
  for (const dir of (env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'versitygw'));
  return [...new Set(candidates)];
}

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** Fresh root keys, in the shape of AWS's (20 upper-case characters; 40 hex digits: safe in .env and shells). */
export function newS3Credentials(): S3Credentials {
  return {
    accessKeyId: `FEDOPS${randomBytes(7).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(20).toString('hex'),
  };
}

export interface S3RequestToSign {
  readonly method: string;
  readonly url: string;
  /** Extra headers to sign and send (Host is taken from the URL). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * AWS Signature Version 4 for S3 (header form): the headers to send with the request, Host left to
 * fetch (it sends the URL's host, which is what is signed).
 */
export function signS3Request(
  request: S3RequestToSign,
  credentials: S3Credentials & { readonly region: string },
  now: Date,
): Record<string, string> {
  const url = new URL(request.url);
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const payloadHash = request.body === undefined ? EMPTY_SHA256 : sha256Hex(request.body);
  const headers: Record<string, string> = {
    ...request.headers,
    'x-amz-content-sha256': payloadHash,
    'x-amz-date': amzDate,
  };
  const signed = Object.entries({ ...headers, host: url.host })
    .map(([name, value]) => [name.toLowerCase(), value.trim().replace(/\s+/g, ' ')] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const signedHeaders = signed.map(([name]) => name).join(';');
  const canonicalRequest = [
    request.method.toUpperCase(),
    url.pathname
      .split('/')
      .map((segment) => uriEncode(decodeURIComponent(segment)))
      .join('/'),
    [...url.searchParams.entries()]
      .map(([key, value]) => `${uriEncode(key)}=${uriEncode(value)}`)
      .sort()
      .join('&'),
    signed.map(([name, value]) => `${name}:${value}\n`).join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${credentials.region}/s3/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${credentials.secretAccessKey}`, day);
  for (const part of [credentials.region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return {
    ...headers,
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope},SignedHeaders=${signedHeaders},Signature=${signature}`,
  };
}

/** The `<Code>` of an S3 XML error body, or undefined. */
export function s3ErrorCode(body: string): string | undefined {
  return /<Error>[\s\S]*?<Code>([^<]*)<\/Code>/.exec(body)?.[1];
}

/** The bucket names of a ListBuckets answer; undefined when the body is not one. */
export function listBucketsNames(body: string): string[] | undefined {
  if (!body.includes('<ListAllMyBucketsResult')) return undefined;
  return [...body.matchAll(/<Bucket>[\s\S]*?<Name>([^<]*)<\/Name>[\s\S]*?<\/Bucket>/g)].map(
    (match) => match[1] ?? '',
  );
}

function uriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

function hmac(key: string | Buffer, value: string): Buffer {
  return createHmac('sha256', key).update(value).digest();
}
