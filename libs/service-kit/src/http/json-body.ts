import type { IncomingHttpHeaders } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';

/**
 * The largest request body a fedops service reads (after Content-Encoding is undone). A tenant request
 * is a few hundred bytes; 64 KiB leaves room for long app option lists and refuses anything else early.
 */
export const REQUEST_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * What can be wrong with a request body, as `type` of the error that reaches the exception filters:
 * body-parser's and raw-body's own (they read the body and enforce the limit), then those of
 * acceptJsonBodies.
 */
export const REQUEST_BODY_ERROR_TYPES = [
  'entity.too.large',
  'encoding.unsupported',
  'request.aborted',
  'request.size.invalid',
  'stream.encoding.set',
  'stream.not.readable',
  'content-type.unsupported',
  'charset.unsupported',
  'entity.utf8.invalid',
  'entity.parse.failed',
  'encoding.invalid',
] as const;
export type RequestBodyErrorType = (typeof REQUEST_BODY_ERROR_TYPES)[number];

/** The shape of body-parser's errors (http-errors with a `type`), which ours share. */
export interface RequestBodyError extends Error {
  status: number;
  type: RequestBodyErrorType;
  /** entity.too.large: the limit in bytes. */
  limit?: number;
  /** encoding.unsupported: the Content-Encoding. */
  encoding?: string;
  /** charset.unsupported: the charset parameter of the Content-Type. */
  charset?: string;
  /** content-type.unsupported: the media type sent, '' when there was no Content-Type. */
  mediaType?: string;
}

export function isRequestBodyError(err: unknown): err is RequestBodyError {
  if (!(err instanceof Error)) return false;
  const { status, type } = err as Partial<Record<'status' | 'type', unknown>>;
  return (
    typeof status === 'number' &&
    typeof type === 'string' &&
    (REQUEST_BODY_ERROR_TYPES as readonly string[]).includes(type)
  );
}

function requestBodyError(
  status: number,
  type: RequestBodyErrorType,
  message: string,
  props: Pick<RequestBodyError, 'charset' | 'mediaType'> = {},
): RequestBodyError {
  // `expose` as in http-errors: Nest's default filter and express show the message of a 4xx.
  return Object.assign(new Error(message), {
    status,
    statusCode: status,
    expose: status < 500,
    type,
    ...props,
  });
}

/** `application/json` and structured-syntax JSON types such as `application/merge-patch+json`. */
export function isJsonMediaType(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[a-z0-9!#$&^_.-]+\+json$/.test(mediaType);
}

/** The media type (lower case, without parameters) and charset of a Content-Type header. */
export function parseContentType(header: string): { mediaType: string; charset?: string } {
  const [mediaType = '', ...parameters] = header.split(';');
  const result: { mediaType: string; charset?: string } = { mediaType: mediaType.trim().toLowerCase() };
  for (const parameter of parameters) {
    const eq = parameter.indexOf('=');
    if (eq > 0 && parameter.slice(0, eq).trim().toLowerCase() === 'charset') {
      result.charset = parameter
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1')
        .toLowerCase();
    }
  }
  return result;
}

/** Whether a request carries content (chunked, or a Content-Length above zero). */
function hasContent(headers: IncomingHttpHeaders): boolean {
  return headers['transfer-encoding'] !== undefined || Number(headers['content-length'] ?? '0') > 0;
}

/**
 * Why a request's content is refused before it is read: not JSON (RFC 8259 JSON only; a form or
 * text/plain would otherwise arrive as an empty body and fail validation confusingly), or JSON in a
 * charset other than UTF-8 (RFC 8259 section 8.1). Undefined when it may be read.
 */
export function refusedContent(headers: IncomingHttpHeaders): RequestBodyError | undefined {
  if (!hasContent(headers)) return undefined;
  const { mediaType, charset } = parseContentType(headers['content-type'] ?? '');
  if (!isJsonMediaType(mediaType)) {
    return requestBodyError(415, 'content-type.unsupported', `unsupported content type "${mediaType}"`, {
      mediaType,
    });
  }
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return requestBodyError(415, 'charset.unsupported', `unsupported charset "${charset}"`, { charset });
  }
  return undefined;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true }); // drops a leading byte order mark

/**
 * The JSON value of a body read as bytes; undefined for an empty body. Any JSON value is returned
 * (an array or a string too): the route's validation says what it expects. Invalid UTF-8 is refused
 * rather than turned into U+FFFD replacement characters.
 */
export function parseJsonBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw requestBodyError(400, 'entity.utf8.invalid', 'request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw requestBodyError(400, 'entity.parse.failed', err instanceof Error ? err.message : String(err));
  }
}

/**
 * A body that does not decode as its Content-Encoding says (gzip that is not gzip, a truncated
 * stream): body-parser passes zlib's error on as a 400 without a `type`, which would end as a 500.
 * Returns it as `encoding.invalid`; any other error as it is.
 */
export function asRequestBodyError(err: unknown): unknown {
  // Not `instanceof Error`: errors of Node's zlib come from another realm under jest.
  if (isRequestBodyError(err) || typeof err !== 'object' || err === null) return err;
  const { status, type, errno, code, message } = err as Partial<
    Record<'status' | 'type' | 'errno' | 'code' | 'message', unknown>
  >;
  if (status !== 400 || type !== undefined || typeof errno !== 'number' || typeof code !== 'string')
    return err;
  return Object.assign(
    requestBodyError(400, 'encoding.invalid', `request body does not decode: ${String(message)}`),
    { cause: err },
  );
}

/**
 * Request bodies of a fedops service: JSON in UTF-8, at most `limitBytes`. Content of any other type
 * is refused with 415 before it is read; body-parser reads the rest (413 above the limit, 415 for a
 * Content-Encoding it cannot undo, 400 for a body that does not decode) and the JSON is parsed here. Errors are RequestBodyErrors (body-parser's
 * or ours) for the service's exception filter. They run before routing, so before authentication:
 * a caller without a token may see 413 or 415 for its body, never the route's answer.
 * Needs the app created with `bodyParser: false`.
 */
export function acceptJsonBodies(app: NestExpressApplication, limitBytes = REQUEST_BODY_LIMIT_BYTES): void {
  app.use((req: Request, _res: Response, next: NextFunction) => next(refusedContent(req.headers)));
  // refusedContent let through only JSON (or an empty body of any type), so read every body as bytes.
  app.useBodyParser('raw', { limit: limitBytes, type: () => true });
  app.use((err: unknown, _req: Request, _res: Response, next: NextFunction) => next(asRequestBodyError(err)));
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const bytes: unknown = req.body;
    if (!Buffer.isBuffer(bytes)) return next();
    try {
      req.body = parseJsonBody(bytes);
    } catch (err) {
      return next(err);
    }
    next();
  });
}
