import {
  aptPackages,
  checkedCommands,
  interpolate,
  parseCompose,
  parseEnvFile,
  publishedPorts,
  variableReferences,
  volumeMounts,
} from './compose-model';

describe('interpolate', () => {
  const env = { A: 'a', EMPTY: '' };

  it('substitutes the forms Compose knows', () => {
    expect(interpolate('x-${A}-$A', env)).toBe('x-a-a');
    expect(interpolate('${MISSING:-d}|${EMPTY:-d}|${EMPTY-d}|${MISSING-d}', env)).toBe('d|d||d');
    expect(interpolate('${A:+alt}|${EMPTY:+alt}', env)).toBe('alt|');
    expect(interpolate('$${A} costs $$5', env)).toBe('${A} costs $5');
    expect(interpolate('${MISSING:-${A}}', env)).toBe('a');
  });

  it('fails naming the variable that is missing', () => {
    expect(() => interpolate('${MISSING}', env, 'svc.KEY')).toThrow('svc.KEY: variable MISSING is not set');
    expect(() => interpolate('${EMPTY:?set it in .env}', env)).toThrow(
      'variable EMPTY is required (set it in .env)',
    );
  });
});

describe('variableReferences', () => {
  it('tells required references from those with a default', () => {
    expect(variableReferences('postgres://u:${P:?x}@h/${D:-db}$$X$Y')).toEqual([
      { name: 'P', optional: false },
      { name: 'D', optional: true },
      { name: 'Y', optional: false },
    ]);
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=value lines, skipping comments, and rejects anything else', () => {
    expect(parseEnvFile('# c\n\nA=1\nexport B="two words"\nC=x=y\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x=y',
    });
    expect(() => parseEnvFile('A=1\nnot a pair\n')).toThrow('line 2');
  });
});

describe('compose service parts', () => {
  const model = parseCompose(`
x-env: &env
  A: '1'
services:
  s:
    environment: { <<: *env, B: '2' }
    ports: ['8080:80', '127.0.0.1:9000:9000/udp', '5000', { target: 81, published: 8081, host_ip: 0.0.0.0 }]
    volumes: ['data:/d', './conf:/c:ro', { type: bind, source: /x, target: /y }, /anon]
`);
  const s = model.services.get('s')!;

  it('follows merge keys', () => {
    expect(s.raw['environment']).toEqual({ A: '1', B: '2' });
  });

  it('reads short and long port syntax, skipping unpublished ports', () => {
    expect(publishedPorts(s)).toEqual([
      { hostIp: undefined, published: '8080', target: '80', protocol: 'tcp' },
      { hostIp: '127.0.0.1', published: '9000', target: '9000', protocol: 'udp' },
      { hostIp: '0.0.0.0', published: '8081', target: '81', protocol: 'tcp' },
    ]);
  });

  it('tells named volumes from bind mounts', () => {
    expect(volumeMounts(s)).toEqual([
      { kind: 'volume', source: 'data', target: '/d' },
      { kind: 'bind', source: './conf', target: '/c' },
      { kind: 'bind', source: '/x', target: '/y' },
      { kind: 'volume', source: undefined, target: '/anon' },
    ]);
  });
});

describe('Dockerfile reading', () => {
  const text = [
    '# apt-get install commented-out',
    'RUN apt-get update \\',
    ' && apt-get install -y --no-install-recommends a b \\',
    '      c && command -v x /usr/bin/y',
    'CMD ["node"]',
  ].join('\n');

  it('reads installed packages and checked commands across line continuations', () => {
    expect([...aptPackages(text)]).toEqual(['a', 'b', 'c']);
    expect([...checkedCommands(text)]).toEqual(['x', '/usr/bin/y']);
  });
});
