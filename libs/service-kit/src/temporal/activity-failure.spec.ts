import { ApplicationFailure } from '@temporalio/common';
import { FedopsError, FedopsErrorCode } from '@fedops/domain';
import { toActivityFailure } from './activity-failure';

describe('toActivityFailure', () => {
  it('makes permanent domain errors non-retryable failures typed by their code', () => {
    const failure = toActivityFailure(FedopsError.validation([{ field: 'domain', message: 'bad' }]));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe('VALIDATION_FAILED');
    expect((failure as ApplicationFailure).nonRetryable).toBe(true);
    expect((failure as ApplicationFailure).details).toEqual([[{ field: 'domain', message: 'bad' }]]);
  });

  it('keeps provider failures retryable unless the error says otherwise', () => {
    const transient = toActivityFailure(
      new FedopsError(FedopsErrorCode.ProviderFailed, 'timeout'),
    ) as ApplicationFailure;
    expect(transient.nonRetryable).toBe(false);
    const refused = Object.assign(new FedopsError(FedopsErrorCode.ProviderFailed, '422 bad record'), {
      retryable: false,
    });
    expect((toActivityFailure(refused) as ApplicationFailure).nonRetryable).toBe(true);
  });

  it('passes other errors through for the retry policy to handle', () => {
    const plain = new Error('ECONNRESET');
    expect(toActivityFailure(plain)).toBe(plain);
  });
});
