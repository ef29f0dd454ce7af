import { FaultBook, FaultRuleError } from './faults';

describe('FaultBook', () => {
  it('fires a matching rule as many times as it says, then forgets it', () => {
    const faults = new FaultBook();
    const rule = { kind: 'server-error', method: 'post', path: '/servers$', times: 2, status: 503 } as const;
    const fired = { ...rule, id: faults.add(rule) };
    expect(faults.take('GET', '/v1/servers')).toBeUndefined();
    expect(faults.take('POST', '/v1/servers', ['rate-limit'])).toBeUndefined();
    expect(faults.list()).toEqual([fired]);
    expect(faults.take('POST', '/v1/servers')).toEqual(fired);
    expect(faults.list()).toEqual([{ ...fired, times: 1 }]);
    expect(faults.take('POST', '/v1/servers')).toEqual(fired);
    expect(faults.take('POST', '/v1/servers')).toBeUndefined();
    expect(faults.list()).toEqual([]);
    expect(faults.fired['server-error']).toBe(2);
  });

  it('keeps a rule of times 0 for ever and draws for a probability', () => {
    const draws = [0.9, 0.1];
    const faults = new FaultBook(() => draws.shift() ?? 0);
    faults.add({ kind: 'lost-response', times: 0, probability: 0.5 });
    expect(faults.take('GET', '/x')).toBeUndefined();
    expect(faults.take('GET', '/x')).toMatchObject({ kind: 'lost-response' });
    expect(faults.take('GET', '/x')).toMatchObject({ kind: 'lost-response' });
    expect(faults.list()).toMatchObject([{ times: 0 }]);
  });

  it('refuses a rule that is not one, listing every problem', () => {
    const faults = new FaultBook();
    expect(() => faults.add({ kind: 'lock', path: '(', times: -1, status: 404 })).toThrow(FaultRuleError);
  });
});
