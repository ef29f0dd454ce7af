import { ownerOf, summarizeProfile, type CpuProfile } from './cpu-profile-summary';

const frame = (
  functionName: string,
  url: string,
): { functionName: string; url: string; lineNumber: number } => ({
  functionName,
  url,
  lineNumber: 0,
});

describe('ownerOf', () => {
  it('names the package, the fedops project, Node or V8 a frame belongs to', () => {
    expect(
      ownerOf(frame('jwtVerify', 'file:///work/main/node_modules/jose/dist/node/cjs/jwt/verify.js')),
    ).toBe('jose');
    expect(ownerOf(frame('handle', 'file:///r/node_modules/@nestjs/core/router/router-proxy.js'))).toBe(
      '@nestjs/core',
    );
    expect(ownerOf(frame('toView', 'file:///r/services/tenant-api/dist/tenants/tenant.service.js'))).toBe(
      'tenant-api',
    );
    expect(ownerOf(frame('emit', 'file:///r/libs/service-kit/dist/logging/json-logger.js'))).toBe(
      '@fedops/service-kit',
    );
    expect(ownerOf(frame('writeGeneric', 'node:internal/stream_base_commons'))).toBe('node');
    expect(ownerOf(frame('(garbage collector)', ''))).toBe('gc');
    expect(ownerOf(frame('(program)', ''))).toBe('v8/native');
  });
});

describe('summarizeProfile', () => {
  // root -> handler (tenant-api) -> query (typeorm) -> parse (pg); plus idle.
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 5] },
      { id: 2, callFrame: frame('get', 'file:///r/services/tenant-api/dist/t.js'), children: [3] },
      { id: 3, callFrame: frame('query', 'file:///r/node_modules/typeorm/q.js'), children: [4] },
      { id: 4, callFrame: frame('parse', 'file:///r/node_modules/pg/p.js') },
      { id: 5, callFrame: frame('(idle)', '') },
    ],
    startTime: 0,
    endTime: 10_000,
    samples: [2, 3, 4, 4, 5, 5],
    timeDeltas: [0, 1000, 1000, 1000, 1000, 1000],
  };

  it('splits the busy time by owner, on top of the stack and anywhere on it', () => {
    const s = summarizeProfile(profile);
    expect(s.wallMs).toBe(10);
    expect(s.busyMs).toBe(4);
    expect(s.selfByOwner).toEqual([
      ['pg', 2],
      ['tenant-api', 1],
      ['typeorm', 1],
    ]);
    expect(s.inclusiveByOwner).toEqual([
      ['tenant-api', 4],
      ['typeorm', 3],
      ['pg', 2],
    ]);
    expect(s.topFunctions[0]).toEqual(['parse (pg)', 2]);
  });
});
