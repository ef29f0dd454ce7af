import { createHash, createHmac } from 'node:crypto';

/**
 * AWS Signature Version 4 for the few S3 requests fedops makes itself (restic does the rest):
 * listing and deleting a repository's objects, the test harness's bucket set-up.
 */

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
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
