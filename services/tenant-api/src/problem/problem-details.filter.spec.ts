import { NotFoundException } from '@nestjs/common';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { httpStatusOf, toProblem } from './problem-details.filter';

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

  it('does not leak internal error messages', () => {
    expect(toProblem(new Error('password=hunter2 in connection string')).detail).toBe('Internal error');
    expect(toProblem(new FedopsError(FedopsErrorCode.Internal, 'db exploded')).detail).toBe('Internal error');
  });

  it('turns framework exceptions into problems', () => {
    expect(toProblem(new NotFoundException('Cannot GET /v2')).status).toBe(404);
  });
});
