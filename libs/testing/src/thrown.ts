import { FedopsError } from '@fedops/domain';

/** What a call threw, for assertions on its code, message and fields; it must throw a FedopsError. */
export function thrownFedopsError(fn: () => unknown): FedopsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof FedopsError) return err;
    throw err;
  }
  throw new Error('expected a FedopsError');
}
