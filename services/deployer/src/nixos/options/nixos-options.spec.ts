import rawIndex from './nixos-options.json';
import { NIXPKGS_PIN } from '../nixpkgs-pin';
import {
  ELEMENT_PLACEHOLDER,
  NAME_PLACEHOLDER,
  formatOptionPath,
  loadOptionIndex,
  nixosOptionIndex,
  parseOptionPath,
  parseOptionType,
  type OptionNode,
  type OptionType,
} from './option-index';

interface RawEntry {
  path: string;
  type: string;
  source: number;
}
interface RawDoc {
  release: string;
  nixpkgs: { rev: string };
  sources: unknown[];
  options: RawEntry[];
  renamed: { from: string; source: number }[];
}
const doc = rawIndex as unknown as RawDoc;

describe('nixos-options.json', () => {
  it('is the option list of the release and nixpkgs revision the rendered flake pins', () => {
    expect(doc.release).toBe(NIXPKGS_PIN.release);
    expect(doc.nixpkgs.rev).toBe(NIXPKGS_PIN.rev);
  });

  it('lists options sorted by path, each path once', () => {
    const paths = doc.options.map((o) => o.path);
    const unsorted = paths.filter((p, i) => i > 0 && (paths[i - 1] as string) >= p);
    expect(unsorted).toEqual([]);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('points every option and every rename at an existing source', () => {
    const missing = [
      ...doc.options.map((o) => [o.path, o.source] as const),
      ...doc.renamed.map((r) => [r.from, r.source] as const),
    ]
      .filter(([, source]) => !Number.isInteger(source) || doc.sources[source] === undefined)
      .map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it('gives every option a type that parses, and every path parses back to itself', () => {
    const bad: string[] = [];
    for (const o of doc.options) {
      try {
        parseOptionType(o.type);
        if (formatOptionPath(parseOptionPath(o.path)) !== o.path)
          bad.push(`${o.path}: path does not round-trip`);
      } catch (e) {
        bad.push(`${o.path}: ${(e as Error).message}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('declares sub-options wherever a type has a submodule (so a value there is checked, not refused)', () => {
    const index = nixosOptionIndex();
    const empty: string[] = [];
    const visit = (node: OptionNode, path: string[]): void => {
      if (node.option !== undefined) expectChildren(node, node.option.type, path, empty);
      for (const [key, child] of node.children) visit(child, [...path, key]);
    };
    visit(index.root, []);
    expect(empty).toEqual([]);
  });

  it('loads into an index whose placeholders match concrete names', () => {
    const index = nixosOptionIndex();
    expect(
      index.lookup(['services', 'nginx', 'virtualHosts', 'a.example.org', 'locations', '/', 'proxyPass'])
        ?.path,
    ).toBe('services.nginx.virtualHosts.<name>.locations.<name>.proxyPass');
    expect(
      index.lookup(['services', 'matrix-synapse', 'settings', 'listeners', 0, 'resources', 1, 'names'])?.path,
    ).toBe('services.matrix-synapse.settings.listeners.*.resources.*.names');
    expect(index.lookup(['services', 'mastodon', 'webport'])).toBeUndefined();
    expect(
      index.declaredPrefix(['services', 'gotosocial', 'settings', 'accounts-approval-required'])?.path,
    ).toBe('services.gotosocial.settings');
    expect(index.declaredPrefix(['services', 'redis', 'servers'])).toBeUndefined();
  });
});

describe('loadOptionIndex', () => {
  const withOption = (patch: Record<string, unknown>): unknown => ({
    ...doc,
    options: doc.options.map((o, i) => (i === 3 ? { ...o, ...patch } : o)),
  });
  const third = doc.options[3] as RawEntry;

  it('names the entry whose type does not parse', () => {
    expect(() => loadOptionIndex(withOption({ type: 'listOf:strng' }))).toThrow(
      `nixos-options.json: options[3] (${third.path}): unknown type "strng" in listOf:strng`,
    );
  });

  it('names the entry whose source does not exist', () => {
    expect(() => loadOptionIndex(withOption({ source: doc.sources.length }))).toThrow(
      `nixos-options.json: options[3] (${third.path}): source ${doc.sources.length} is not an index into sources`,
    );
  });

  it('refuses an option declared twice', () => {
    expect(() => loadOptionIndex(withOption({ path: (doc.options[2] as RawEntry).path }))).toThrow(
      `nixos-options.json: options[3] (${(doc.options[2] as RawEntry).path}): declared twice`,
    );
  });
});

function expectChildren(node: OptionNode, type: OptionType, path: string[], empty: string[]): void {
  switch (type.kind) {
    case 'submodule':
      if (
        [...node.children.keys()].filter((k) => k !== NAME_PLACEHOLDER && k !== ELEMENT_PLACEHOLDER)
          .length === 0
      )
        empty.push(path.join('.'));
      return;
    case 'nullOr':
      return expectChildren(node, type.of, path, empty);
    case 'either':
      for (const alternative of type.alternatives) expectChildren(node, alternative, path, empty);
      return;
    case 'listOf':
    case 'attrsOf': {
      const placeholder = type.kind === 'listOf' ? ELEMENT_PLACEHOLDER : NAME_PLACEHOLDER;
      const below = node.children.get(placeholder);
      if (below === undefined) {
        if (holdsSubmodule(type.of)) empty.push(`${path.join('.')}.${placeholder}`);
        return;
      }
      return expectChildren(below, type.of, [...path, placeholder], empty);
    }
    case 'bool':
    case 'str':
    case 'lines':
    case 'path':
    case 'package':
    case 'port':
    case 'function':
    case 'anything':
    case 'raw':
    case 'freeform':
    case 'int':
    case 'enum':
      return;
  }
}

function holdsSubmodule(type: OptionType): boolean {
  switch (type.kind) {
    case 'submodule':
      return true;
    case 'nullOr':
    case 'listOf':
    case 'attrsOf':
      return holdsSubmodule(type.of);
    case 'either':
      return type.alternatives.some(holdsSubmodule);
    case 'bool':
    case 'str':
    case 'lines':
    case 'path':
    case 'package':
    case 'port':
    case 'function':
    case 'anything':
    case 'raw':
    case 'freeform':
    case 'int':
    case 'enum':
      return false;
  }
}
