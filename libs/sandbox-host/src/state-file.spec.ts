import {
  emptyState,
  parseState,
  serializeState,
  type HostRecord,
  type HostReservation,
  type SandboxState,
} from './state-file';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyDataForTestsOnly0000000000000000000';

function host(overrides: Partial<HostRecord> = {}): HostRecord {
  return {
    label: 'tenant-1',
    name: 'fot-0123abcd',
    address: '10.213.0.2',
    hostKey: KEY,
    createdAt: '2026-11-27T10:00:00.000Z',
    status: 'ready',
    ...overrides,
  };
}

function state(hosts: unknown[]): string {
  return JSON.stringify({ version: 1, subnet: '10.213.0.0/16', namePrefix: 'fot', hosts });
}

describe('state file', () => {
  it('round-trips', () => {
    const value: SandboxState = { ...emptyState('10.213.0.0/16', 'fot'), hosts: [host()] };
    expect(parseState(serializeState(value))).toEqual(value);
  });

  it('round-trips a reservation (no host key yet) next to a ready host', () => {
    const reservation: HostReservation = {
      label: 'tenant-2',
      name: 'fot-89abcdef',
      address: '10.213.0.6',
      createdAt: '2026-11-27T10:00:00.000Z',
      status: 'creating',
    };
    const value: SandboxState = { ...emptyState('10.213.0.0/16', 'fot'), hosts: [host(), reservation] };
    expect(parseState(serializeState(value))).toEqual(value);
  });

  it('reads entries without status (older files) as ready hosts', () => {
    const legacy: Partial<HostRecord> = host();
    delete legacy.status;
    expect(parseState(state([legacy])).hosts).toEqual([host()]);
  });

  it('counts reservations when checking for duplicate addresses, and requires a key of ready hosts', () => {
    const reservation = {
      label: 'tenant-2',
      name: 'fot-89abcdef',
      address: '10.213.0.2',
      createdAt: '2026-11-27T10:00:00.000Z',
      status: 'creating',
    };
    expect(() => parseState(state([host(), reservation]))).toThrow(/hosts\[1\]\.address: duplicate/);
    const keyless: Partial<HostRecord> = host();
    delete keyless.hostKey;
    expect(() => parseState(state([keyless]))).toThrow(/hosts\[0\]\.hostKey: must be a string/);
    expect(() => parseState(state([{ ...host(), status: 'half' }]))).toThrow(/status/);
  });

  it('round-trips a host with its own authorized keys', () => {
    const own = host({ authorizedKeys: [`${KEY} platform`, KEY] });
    const value: SandboxState = {
      ...emptyState('10.213.0.0/16', 'fot'),
      hosts: [own, host({ label: 'b', name: 'fot-00000001', address: '10.213.0.6' })],
    };
    const parsed = parseState(serializeState(value));
    expect(parsed).toEqual(value);
    expect(parsed.hosts[1]).not.toHaveProperty('authorizedKeys');
  });

  it('reads hosts without authorizedKeys (older files) without inventing any', () => {
    expect(parseState(state([host()])).hosts[0]).not.toHaveProperty('authorizedKeys');
  });

  it.each([
    [[], /hosts\[0\]\.authorizedKeys: must be a non-empty array/],
    ['ssh-ed25519 AAAA', /hosts\[0\]\.authorizedKeys: must be a non-empty array/],
    [[KEY, 7], /hosts\[0\]\.authorizedKeys\[1\]: must be a string/],
    [[KEY, 'ssh-foo AAAA'], /hosts\[0\]\.authorizedKeys\[1\]: unknown key type/],
    [[`${KEY}\n${KEY}`], /hosts\[0\]\.authorizedKeys\[0\]: must be a single line/],
  ])('rejects authorizedKeys %j', (authorizedKeys, problem) => {
    expect(() => parseState(state([{ ...host(), authorizedKeys }]))).toThrow(problem);
  });

  it('rejects text that is not JSON', () => {
    expect(() => parseState('{"version": 1,')).toThrow(/not valid JSON/);
  });

  it('lists every problem of a damaged file', () => {
    let message = '';
    try {
      parseState(
        state([
          host(),
          host({ label: 'tenant-2', name: 'fot-0123abcd', address: '10.213.0.2' }),
          host({ label: 'tenant-3', name: 'xx-0123abcd', address: '10.213.0.5' }),
          { label: 'tenant-4' },
        ]),
      );
    } catch (err) {
      message = err instanceof Error ? err.message : String(err);
    }
    expect(message).toMatch(/hosts\[1\]\.name: duplicate/);
    expect(message).toMatch(/hosts\[1\]\.address: duplicate 10\.213\.0\.2/);
    expect(message).toMatch(/hosts\[2\]\.name: "xx-0123abcd"/);
    expect(message).toMatch(/hosts\[2\]\.address: .*namespace end/);
    expect(message).toMatch(/hosts\[3\]\.name: must be a string/);
  });

  it('rejects addresses outside the subnet, bad keys and dates', () => {
    expect(() => parseState(state([host({ address: '10.99.0.2' })]))).toThrow(/outside subnet/);
    expect(() => parseState(state([host({ hostKey: 'nope' })]))).toThrow(/hostKey/);
    expect(() => parseState(state([host({ createdAt: 'yesterday' })]))).toThrow(/createdAt/);
  });

  it('rejects a wrong version or a missing subnet', () => {
    expect(() =>
      parseState(JSON.stringify({ version: 2, subnet: '10.213.0.0/16', namePrefix: 'fot', hosts: [] })),
    ).toThrow(/version/);
    expect(() => parseState(JSON.stringify({ version: 1, namePrefix: 'fot', hosts: [] }))).toThrow(/subnet/);
  });
});
