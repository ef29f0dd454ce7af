import { NotFoundException, PayloadTooLargeException, UnsupportedMediaTypeException } from '@nestjs/common';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import {
  REQUEST_BODY_ERROR_TYPES,
  parseJsonBody,
  refusedContent,
  type RequestBodyError,
  type RequestBodyErrorType,
} from '@fedops/service-kit';
import { byteSize, httpStatusOf, toProblem } from './problem-details.filter';

/** An error as body-parser (http-errors) makes it: a plain Error with status, statusCode, expose and type. */
function bodyParserError(
  type: RequestBodyErrorType,
  status: number,
  props: Partial<RequestBodyError> = {},
): RequestBodyError {
  return Object.assign(new Error(`body-parser says ${type}`), {
    status,
    statusCode: status,
    expose: status < 500,
    type,
    ...props,
  });
}

function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('problem details', () => {
  it('maps every error code to an HTTP status', () => {
    for (const code of Object.values(FedopsErrorCode)) expect(httpStatusOf(code)).toBeGreaterThanOrEqual(400);
    expect(httpStatusOf(FedopsErrorCode.Conflict)).toBe(409);
    expect(httpStatusOf(FedopsErrorCode.IdempotencyKeyReused)).toBe(422);
  });

  it('carries the bad fields of a validation error', () => {
    const problem = toProblem(
      FedopsError.validation([{ field: 'domain', message: 'must not be empty' }]),
      '/v1/tenants',
    );
    expect(problem).toEqual({
      type: 'https://fedops.dev/problems/validation-failed',
      title: 'Invalid request',
      status: 400,
      detail: 'Invalid input: domain: must not be empty',
      code: 'VALIDATION_FAILED',
      instance: '/v1/tenants',
      errors: [{ field: 'domain', message: 'must not be empty' }],
    });
  });

  it('maps quota, precondition, reference and gone problems as RFC 9110 and RFC 6585 have them', () => {
    expect(httpStatusOf(FedopsErrorCode.QuotaExceeded)).toBe(403);
    expect(httpStatusOf(FedopsErrorCode.PreconditionFailed)).toBe(412);
    expect(httpStatusOf(FedopsErrorCode.PreconditionRequired)).toBe(428);
    expect(httpStatusOf(FedopsErrorCode.InvalidReference)).toBe(422);
    expect(httpStatusOf(FedopsErrorCode.Gone)).toBe(410);
  });

  it('adds extension members after the standard ones, never replacing one, and none for internal errors', () => {
    const quota = new FedopsError(
      FedopsErrorCode.QuotaExceeded,
      'Organisation acme: tenants quota exceeded by 1',
      {
        extensions: { quota: 'tenants', limit: 1, used: 1, requested: 1, status: 200, detail: 'x' },
      },
    );
    const problem = toProblem(quota, '/v1/tenants');
    expect(problem).toEqual({
      type: 'https://fedops.dev/problems/quota-exceeded',
      title: 'Forbidden',
      status: 403,
      detail: 'Organisation acme: tenants quota exceeded by 1',
      code: 'QUOTA_EXCEEDED',
      instance: '/v1/tenants',
      quota: 'tenants',
      limit: 1,
      used: 1,
      requested: 1,
    });
    expect(Object.keys(problem).slice(0, 3)).toEqual(['type', 'title', 'status']);
    const internal = new FedopsError(FedopsErrorCode.Internal, 'boom', { extensions: { secret: 'x' } });
    expect(toProblem(internal)).not.toHaveProperty('secret');
  });

  it('does not leak internal error messages', () => {
    expect(toProblem(new Error('password=hunter2 in connection string')).detail).toBe('Internal error');
    expect(toProblem(new FedopsError(FedopsErrorCode.Internal, 'db exploded')).detail).toBe('Internal error');
  });

  it('turns framework exceptions into problems', () => {
    expect(toProblem(new NotFoundException('Cannot GET /v2')).status).toBe(404);
  });

  it("turns Nest's 413 and 415 exceptions into PAYLOAD_TOO_LARGE and UNSUPPORTED_MEDIA_TYPE", () => {
    expect(toProblem(new PayloadTooLargeException())).toMatchObject({
      status: 413,
      code: 'PAYLOAD_TOO_LARGE',
    });
    expect(toProblem(new UnsupportedMediaTypeException())).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    });
  });
});

describe('problem details of request bodies', () => {
  it('maps every request body error to a 4xx, except the two stream errors that only a fedops bug causes', () => {
    const statuses = Object.fromEntries(
      REQUEST_BODY_ERROR_TYPES.map((type) => [type, toProblem(bodyParserError(type, 400)).status]),
    );
    expect(statuses).toEqual({
      'entity.too.large': 413,
      'encoding.unsupported': 415,
      'request.aborted': 400,
      'request.size.invalid': 400,
      'stream.encoding.set': 500,
      'stream.not.readable': 500,
      'content-type.unsupported': 415,
      'charset.unsupported': 415,
      'entity.utf8.invalid': 400,
      'entity.parse.failed': 400,
      'encoding.invalid': 400,
    });
  });

  it("answers body-parser's entity.too.large with 413 PAYLOAD_TOO_LARGE naming the limit", () => {
    const problem = toProblem(bodyParserError('entity.too.large', 413, { limit: 64 * 1024 }), '/v1/tenants');
    expect(problem).toEqual({
      type: 'https://fedops.dev/problems/payload-too-large',
      title: 'Request too large',
      status: 413,
      detail: 'The request body is larger than the limit of 64 KiB',
      code: 'PAYLOAD_TOO_LARGE',
      instance: '/v1/tenants',
    });
  });

  it("answers body-parser's encoding.unsupported with 415 naming the Content-Encoding", () => {
    expect(toProblem(bodyParserError('encoding.unsupported', 415, { encoding: 'compress' }))).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: expect.stringMatching(/^Content-Encoding compress is not supported/) as unknown,
    });
  });

  it('answers a body that is not JSON with 415 UNSUPPORTED_MEDIA_TYPE naming its type, or its absence', () => {
    const form = refusedContent({
      'content-length': '9',
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(toProblem(form)).toMatchObject({
      status: 415,
      title: 'Unsupported media type',
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail:
        'The request body is application/x-www-form-urlencoded; send JSON as application/json (or an application/*+json type)',
    });
    expect(toProblem(refusedContent({ 'content-length': '2' })).detail).toMatch(
      /^The request body has no Content-Type; send JSON as application\/json/,
    );
  });

  it('answers JSON in charset latin1 with 415 saying JSON must be UTF-8', () => {
    const latin1 = refusedContent({
      'content-length': '2',
      'content-type': 'application/json; charset=latin1',
    });
    expect(toProblem(latin1)).toMatchObject({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      detail: 'The request body is in charset latin1; JSON must be UTF-8 (send charset=utf-8 or no charset)',
    });
  });

  it("answers truncated JSON with 400 MALFORMED_JSON carrying the parser's message", () => {
    const problem = toProblem(thrownBy(() => parseJsonBody(Buffer.from('{"domain": '))));
    expect(problem).toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
    expect(problem.detail).toMatch(/^The request body is not valid JSON: \S/);
  });

  it('answers invalid UTF-8 with 400 MALFORMED_JSON saying so', () => {
    const bytes = Buffer.concat([
      Buffer.from('{"domain":"caf'),
      Buffer.from([0xe9]),
      Buffer.from('.example"}'),
    ]);
    expect(toProblem(thrownBy(() => parseJsonBody(bytes)))).toMatchObject({
      status: 400,
      code: 'MALFORMED_JSON',
      detail: 'The request body is not valid UTF-8',
    });
  });

  it('treats an error with a status and an unknown type as internal, not as a client error', () => {
    const problem = toProblem(Object.assign(new Error('odd'), { status: 400, type: 'something.else' }));
    expect(problem).toMatchObject({ status: 500, code: 'INTERNAL', detail: 'Internal error' });
  });

  it('names sizes in KiB or MiB when they divide evenly, else in bytes', () => {
    expect(byteSize(64 * 1024)).toBe('64 KiB');
    expect(byteSize(2 * 1024 * 1024)).toBe('2 MiB');
    expect(byteSize(1500)).toBe('1500 bytes');
  });
});
