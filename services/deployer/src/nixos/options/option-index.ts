import rawIndex from './nixos-options.json';

/**
 * The option names and types of the pinned NixOS release, read from nixos-options.json (see the
 * README.md beside it for where they came from and for the type vocabulary).
 */

/** A normalised option type (README.md, "Types"). */
export type OptionType =
  | { readonly kind: AtomKind }
  | { readonly kind: 'int'; readonly min?: number; readonly max?: number }
  | { readonly kind: 'enum'; readonly values: readonly EnumValue[] }
  | { readonly kind: 'listOf' | 'attrsOf' | 'nullOr'; readonly of: OptionType }
  | { readonly kind: 'either'; readonly alternatives: readonly OptionType[] };

export type AtomKind =
  | 'bool'
  | 'str'
  | 'lines'
  | 'path'
  | 'package'
  | 'port'
  | 'function'
  | 'anything'
  | 'raw'
  | 'freeform'
  | 'submodule';

export type EnumValue = string | number | boolean;

export type JsonValue =
  string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

const ATOMS: ReadonlySet<string> = new Set<AtomKind>([
  'bool',
  'str',
  'lines',
  'path',
  'package',
  'port',
  'function',
  'anything',
  'raw',
  'freeform',
  'submodule',
]);

/** The placeholder for the keys of an `attrsOf` option, as in the NixOS manual's options.json. */
export const NAME_PLACEHOLDER = '<name>';
/** The placeholder for the elements of a `listOf` option. */
export const ELEMENT_PLACEHOLDER = '*';

/** A module file the options were read from, at the commit it was read at. */
export interface OptionSource {
  readonly file: string;
  /** null when the text was found by content and the library did not say which commit it is. */
  readonly commit: string | null;
  readonly indexId?: string;
  readonly note?: string;
  /** Option namespaces this file declares completely: below them, an unknown name is a mistake. */
  readonly covers: readonly string[];
}

export interface OptionEntry {
  /** The option's path as NixOS writes it: `services.nginx.virtualHosts.<name>.forceSSL`. */
  readonly path: string;
  readonly segments: readonly string[];
  /** The normalised type as written in the index. */
  readonly typeText: string;
  readonly type: OptionType;
  readonly source: OptionSource;
  readonly default?: JsonValue;
  /** The declaration has no default and is not nullOr (its module may still set it). */
  readonly required: boolean;
  readonly readOnly: boolean;
  readonly internal: boolean;
  /** The option is an alias of another option, outside the index. */
  readonly aliasOf?: string;
}

/** An option path the module renamed or removed (mkRenamedOptionModule, mkRemovedOptionModule …). */
export interface RenamedOption {
  readonly from: string;
  readonly segments: readonly string[];
  /** The new path; absent when the option was removed. */
  readonly to?: string;
  readonly source: OptionSource;
}

/** One level of the option tree: a declared option, and the names declared below it. */
export interface OptionNode {
  readonly option?: OptionEntry;
  readonly children: ReadonlyMap<string, OptionNode>;
  /** This node lies at or below a namespace some source declares completely. */
  readonly covered: boolean;
}

interface MutableNode {
  option?: OptionEntry;
  children: Map<string, MutableNode>;
  covered: boolean;
}

/** A path segment: an attribute name, or a list index. */
export type PathSegment = string | number;

export class OptionIndex {
  private readonly renamedRoot: MutableNode = newNode();

  constructor(
    readonly release: string,
    readonly nixpkgs: Readonly<{ owner: string; repo: string; rev: string; versionFile: string }>,
    readonly sources: readonly OptionSource[],
    readonly options: readonly OptionEntry[],
    readonly renamed: readonly RenamedOption[],
    readonly root: OptionNode,
  ) {
    for (const entry of renamed) {
      let node = this.renamedRoot;
      for (const s of entry.segments) node = childOf(node, s);
      renamedEntries.set(node, entry);
    }
  }

  /** The declared option at `path` (attribute names, `<name>` keys matched by any name). */
  lookup(path: readonly PathSegment[]): OptionEntry | undefined {
    return find(this.root, path, 0)?.option;
  }

  /**
   * The longest declared option that is a prefix of `path` (or `path` itself): where a value below a
   * freeform or attrsOf option is checked.
   */
  declaredPrefix(path: readonly PathSegment[]): OptionEntry | undefined {
    let best: OptionEntry | undefined;
    for (let n = path.length; n > 0 && best === undefined; n--) best = this.lookup(path.slice(0, n));
    return best;
  }

  /** The rename or removal recorded for `path`, if any. */
  renamedAt(path: readonly PathSegment[]): RenamedOption | undefined {
    const node = find(this.renamedRoot, path, 0);
    return node === undefined ? undefined : renamedEntries.get(node);
  }

  /** Whether some rename or removal lies below `path`. */
  hasRenamedBelow(path: readonly PathSegment[]): boolean {
    const node = find(this.renamedRoot, path, 0);
    return node !== undefined && node.children.size > 0;
  }
}

const renamedEntries = new WeakMap<OptionNode, RenamedOption>();

function newNode(): MutableNode {
  return { children: new Map(), covered: false };
}

function childOf(node: MutableNode, segment: string): MutableNode {
  let child = node.children.get(segment);
  if (child === undefined) {
    child = newNode();
    node.children.set(segment, child);
  }
  return child;
}

/** Walks `path` down from `node`: a name matches its own child first, then `<name>`; an index `*`. */
function find<N extends OptionNode>(node: N, path: readonly PathSegment[], at: number): N | undefined {
  const segment = path[at];
  if (segment === undefined) return node;
  const candidates: string[] =
    typeof segment === 'number'
      ? [ELEMENT_PLACEHOLDER]
      : segment === ELEMENT_PLACEHOLDER || segment === NAME_PLACEHOLDER
        ? [segment]
        : [segment, NAME_PLACEHOLDER];
  for (const key of candidates) {
    const child = node.children.get(key) as N | undefined;
    if (child === undefined) continue;
    const found = find(child, path, at + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Paths

const BARE_SEGMENT = /^[A-Za-z_][A-Za-z0-9_'-]*$/;

/** Splits an option path (`a.b."c.d".<name>.*`) into its segments. */
export function parseOptionPath(path: string): string[] {
  const segments: string[] = [];
  let i = 0;
  while (i <= path.length) {
    if (path[i] === '"') {
      let j = i + 1;
      while (j < path.length && path[j] !== '"') j += path[j] === '\\' ? 2 : 1;
      if (j >= path.length) throw new Error(`unterminated quote in option path ${path}`);
      segments.push(JSON.parse(path.slice(i, j + 1)) as string);
      i = j + 1;
    } else {
      const end = path.indexOf('.', i);
      const segment = path.slice(i, end === -1 ? path.length : end);
      if (!BARE_SEGMENT.test(segment) && segment !== NAME_PLACEHOLDER && segment !== ELEMENT_PLACEHOLDER)
        throw new Error(`bad segment "${segment}" in option path ${path}`);
      segments.push(segment);
      i = end === -1 ? path.length : end;
    }
    if (i === path.length) break;
    if (path[i] !== '.') throw new Error(`expected "." at ${i} in option path ${path}`);
    i++;
  }
  return segments;
}

/** Writes a path as NixOS does: names joined by dots, quoted where Nix needs it; `[i]` for list elements. */
export function formatOptionPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') {
      out += `[${segment}]`;
      continue;
    }
    const text =
      BARE_SEGMENT.test(segment) || segment === NAME_PLACEHOLDER || segment === ELEMENT_PLACEHOLDER
        ? segment
        : JSON.stringify(segment);
    out += out === '' ? text : `.${text}`;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Types

/** Parses a normalised type (`listOf:either:str|int`, `enum:["a","b"]`, `int:0..255` …). */
export function parseOptionType(text: string): OptionType {
  const parser = new TypeParser(text);
  const type = parser.type();
  if (!parser.done()) throw new Error(`unexpected "${text.slice(parser.at)}" in type ${text}`);
  return type;
}

class TypeParser {
  at = 0;
  constructor(private readonly text: string) {}

  done(): boolean {
    return this.at === this.text.length;
  }

  type(): OptionType {
    if (this.text[this.at] === '(') {
      this.at++;
      const inner = this.type();
      this.expect(')');
      return inner;
    }
    const word = /^[A-Za-z]+/.exec(this.text.slice(this.at))?.[0];
    if (word === undefined)
      throw new Error(`expected a type at "${this.text.slice(this.at)}" in ${this.text}`);
    this.at += word.length;
    switch (word) {
      case 'listOf':
      case 'attrsOf':
      case 'nullOr':
        this.expect(':');
        return { kind: word, of: this.type() };
      case 'either': {
        this.expect(':');
        const alternatives = [this.type()];
        while (this.text[this.at] === '|') {
          this.at++;
          alternatives.push(this.type());
        }
        if (alternatives.length < 2) throw new Error(`either needs two alternatives in ${this.text}`);
        return { kind: 'either', alternatives };
      }
      case 'enum':
        this.expect(':');
        return { kind: 'enum', values: this.enumValues() };
      case 'int':
        return this.intRange();
      default:
        if (!ATOMS.has(word)) throw new Error(`unknown type "${word}" in ${this.text}`);
        return { kind: word as AtomKind };
    }
  }

  private intRange(): OptionType {
    if (this.text[this.at] !== ':') return { kind: 'int' };
    const range = /^:(-?\d+)?\.\.(-?\d+)?/.exec(this.text.slice(this.at));
    if (range === null || (range[1] === undefined && range[2] === undefined))
      throw new Error(`bad int range in ${this.text}`);
    this.at += range[0].length;
    return {
      kind: 'int',
      ...(range[1] === undefined ? {} : { min: Number(range[1]) }),
      ...(range[2] === undefined ? {} : { max: Number(range[2]) }),
    };
  }

  private enumValues(): EnumValue[] {
    if (this.text[this.at] !== '[') throw new Error(`enum needs a JSON list in ${this.text}`);
    let i = this.at;
    let depth = 0;
    for (; i < this.text.length; i++) {
      const c = this.text[i];
      if (c === '"') {
        i++;
        while (i < this.text.length && this.text[i] !== '"') i += this.text[i] === '\\' ? 2 : 1;
      } else if (c === '[') depth++;
      else if (c === ']' && --depth === 0) break;
    }
    const values: unknown = JSON.parse(this.text.slice(this.at, i + 1));
    this.at = i + 1;
    if (
      !Array.isArray(values) ||
      values.length === 0 ||
      !values.every((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
    )
      throw new Error(`enum values must be a non-empty list of strings, numbers or booleans in ${this.text}`);
    return values as EnumValue[];
  }

  private expect(c: string): void {
    if (this.text[this.at] !== c) throw new Error(`expected "${c}" at ${this.at} in type ${this.text}`);
    this.at++;
  }
}

/** Writes a type back in the normalised notation (alternatives that contain `|` in parentheses). */
export function formatOptionType(type: OptionType): string {
  switch (type.kind) {
    case 'listOf':
    case 'attrsOf':
    case 'nullOr':
      return `${type.kind}:${formatOptionType(type.of)}`;
    case 'either':
      return `either:${type.alternatives
        .map((alt) => {
          const text = formatOptionType(alt);
          return text.includes('|') ? `(${text})` : text;
        })
        .join('|')}`;
    case 'enum':
      return `enum:${JSON.stringify(type.values)}`;
    case 'int':
      return type.min === undefined && type.max === undefined
        ? 'int'
        : `int:${type.min ?? ''}..${type.max ?? ''}`;
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
    case 'submodule':
      return type.kind;
  }
}

// ---------------------------------------------------------------------------------------------
// Loading

/** Checks the shape of an index document and builds the option tree; throws naming the bad entry. */
export function loadOptionIndex(data: unknown, name = 'nixos-options.json'): OptionIndex {
  const fail = (where: string, what: string): never => {
    throw new Error(`${name}: ${where}: ${what}`);
  };
  if (!isRecord(data)) return fail('document', 'not an object');
  const release = data['release'];
  if (typeof release !== 'string' || !/^\d\d\.\d\d$/.test(release))
    fail('release', 'not a NixOS release like "26.11"');
  const nixpkgs = data['nixpkgs'];
  if (
    !isRecord(nixpkgs) ||
    !['owner', 'repo', 'rev', 'versionFile'].every((k) => typeof nixpkgs[k] === 'string') ||
    !/^[0-9a-f]{40}$/.test(String(nixpkgs['rev']))
  )
    fail('nixpkgs', 'needs owner, repo, versionFile and a 40-hex rev');
  const rawSources = data['sources'];
  const rawOptions = data['options'];
  const rawRenamed = data['renamed'] ?? [];
  if (!Array.isArray(rawSources)) return fail('sources', 'not a list');
  if (!Array.isArray(rawOptions)) return fail('options', 'not a list');
  if (!Array.isArray(rawRenamed)) return fail('renamed', 'not a list');

  const sources: OptionSource[] = rawSources.map((s: unknown, i) => {
    const where = `sources[${i}]`;
    if (!isRecord(s) || typeof s['file'] !== 'string') return fail(where, 'needs a file');
    const commit = s['commit'];
    if (!(commit === null || (typeof commit === 'string' && /^[0-9a-f]{40}$/.test(commit))))
      fail(`${where} (${s['file']})`, 'commit must be 40 hex digits or null');
    if (commit === null && typeof s['indexId'] !== 'string')
      fail(`${where} (${s['file']})`, 'a source without a commit needs the indexId its text was read by');
    const covers = s['covers'] ?? [];
    if (!Array.isArray(covers) || !covers.every((c) => typeof c === 'string'))
      fail(`${where} (${s['file']})`, 'covers must be a list of option paths');
    for (const key of ['indexId', 'note'])
      if (s[key] !== undefined && typeof s[key] !== 'string')
        fail(`${where} (${s['file']})`, `${key} must be a string`);
    return {
      file: s['file'],
      commit: commit as string | null,
      ...(typeof s['indexId'] === 'string' ? { indexId: s['indexId'] } : {}),
      ...(typeof s['note'] === 'string' ? { note: s['note'] } : {}),
      covers: covers as string[],
    };
  });

  const sourceAt = (where: string, value: unknown): OptionSource => {
    if (typeof value !== 'number' || !Number.isInteger(value) || sources[value] === undefined)
      return fail(where, `source ${JSON.stringify(value)} is not an index into sources`);
    return sources[value];
  };
  const pathOf = (where: string, value: unknown): string[] => {
    if (typeof value !== 'string') return fail(where, 'path must be a string');
    try {
      return parseOptionPath(value);
    } catch (e) {
      return fail(where, (e as Error).message);
    }
  };

  const root = newNode();
  const options: OptionEntry[] = rawOptions.map((o: unknown, i) => {
    let where = `options[${i}]`;
    if (!isRecord(o)) return fail(where, 'not an object');
    const segments = pathOf(where, o['path']);
    where = `${where} (${String(o['path'])})`;
    const typeText = o['type'];
    if (typeof typeText !== 'string') return fail(where, 'type must be a string');
    let type: OptionType;
    try {
      type = parseOptionType(typeText);
    } catch (e) {
      return fail(where, (e as Error).message);
    }
    for (const flag of ['required', 'readOnly', 'internal'])
      if (o[flag] !== undefined && o[flag] !== true) fail(where, `${flag} must be true when present`);
    if (o['aliasOf'] !== undefined && typeof o['aliasOf'] !== 'string')
      fail(where, 'aliasOf must be a string');
    if (o['default'] !== undefined && !isJson(o['default'])) fail(where, 'default must be plain JSON');
    const entry: OptionEntry = {
      path: o['path'] as string,
      segments,
      typeText,
      type,
      source: sourceAt(where, o['source']),
      ...(o['default'] === undefined ? {} : { default: o['default'] as JsonValue }),
      required: o['required'] === true,
      readOnly: o['readOnly'] === true,
      internal: o['internal'] === true,
      ...(typeof o['aliasOf'] === 'string' ? { aliasOf: o['aliasOf'] } : {}),
    };
    let node = root;
    for (const s of segments) node = childOf(node, s);
    if (node.option !== undefined) fail(where, 'declared twice');
    node.option = entry;
    return entry;
  });

  const renamed: RenamedOption[] = rawRenamed.map((r: unknown, i) => {
    let where = `renamed[${i}]`;
    if (!isRecord(r)) return fail(where, 'not an object');
    const segments = pathOf(where, r['from']);
    where = `${where} (${String(r['from'])})`;
    if ((r['to'] === undefined) === (r['removed'] !== true))
      fail(where, 'needs either "to" or "removed": true');
    if (r['to'] !== undefined) pathOf(where, r['to']);
    return {
      from: r['from'] as string,
      segments,
      ...(typeof r['to'] === 'string' ? { to: r['to'] } : {}),
      source: sourceAt(where, r['source']),
    };
  });

  sources.forEach((source, i) => {
    for (const prefix of source.covers) {
      let node: MutableNode | undefined = root;
      for (const s of pathOf(`sources[${i}].covers`, prefix)) node = node?.children.get(s);
      if (node === undefined)
        fail(`sources[${i}] (${source.file})`, `covers ${prefix}, which declares no option`);
      else node.covered = true;
    }
  });
  propagateCoverage(root, false);

  return new OptionIndex(
    release as string,
    nixpkgs as unknown as OptionIndex['nixpkgs'],
    sources,
    options,
    renamed,
    root,
  );
}

function propagateCoverage(node: MutableNode, covered: boolean): void {
  node.covered ||= covered;
  for (const child of node.children.values()) propagateCoverage(child, node.covered);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJson(value: unknown): boolean {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) return true;
  if (Array.isArray(value)) return value.every(isJson);
  return isRecord(value) && Object.values(value).every(isJson);
}

let pinned: OptionIndex | undefined;

/** The index of the pinned release shipped with the deployer (loaded and checked on first use). */
export function nixosOptionIndex(): OptionIndex {
  pinned ??= loadOptionIndex(rawIndex as unknown);
  return pinned;
}
