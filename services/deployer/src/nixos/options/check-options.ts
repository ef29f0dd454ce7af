import { nixosOptionIndex } from './option-index';
import { NixExpr, type NixValue } from '../nix-string';
import {
  ELEMENT_PLACEHOLDER,
  NAME_PLACEHOLDER,
  formatOptionPath,
  formatOptionType,
  type OptionEntry,
  type OptionIndex,
  type OptionNode,
  type OptionType,
  type PathSegment,
} from './option-index';

/**
 * What is wrong with one attribute path of a rendered NixOS module:
 * - `unknown-option`: the name is not declared where the index knows every declared name
 *   (a misspelling, most likely: see `suggestion`);
 * - `not-indexed`: the path leaves the namespaces the index covers, so it cannot say (add the
 *   module to nixos-options.json);
 * - `renamed` / `removed`: the module renamed or removed this option;
 * - `type-mismatch`: the value does not fit the option's type;
 * - `read-only`: the option is set by its module and cannot be defined.
 */
export type OptionProblemKind =
  'unknown-option' | 'not-indexed' | 'renamed' | 'removed' | 'type-mismatch' | 'read-only';

export interface OptionProblem {
  readonly kind: OptionProblemKind;
  /** The full attribute path, as NixOS writes it (list elements as `[i]`). */
  readonly path: string;
  /** The path and what is wrong, for a person. */
  readonly message: string;
  /** For an unknown name: the full path of the closest declared sibling. */
  readonly suggestion?: string;
}

/**
 * Checks a module's attribute set (what goes after `{ config, lib, pkgs, ... }:`; its `imports` and
 * `disabledModules` are module structure and left alone) against the option index: every path must reach a declared option, or lie below an option whose type takes any
 * name (freeform settings, `attrsOf`, `anything`), and every value at an option must fit its type.
 * A `NixExpr` is a leaf whose type cannot be checked. Pure; problems come in tree order, names
 * sorted.
 */
export function checkModuleOptions(tree: NixValue, index: OptionIndex): OptionProblem[] {
  const checker = new Checker(index);
  if (isAttrs(tree)) {
    const options = Object.fromEntries(Object.entries(tree).filter(([key]) => !MODULE_KEYS.has(key)));
    checker.node(options, index.root, [], false);
  } else checker.node(tree, index.root, [], false);
  return checker.problems;
}

/** Keys of a module that are module structure, not options. */
const MODULE_KEYS: ReadonlySet<string> = new Set(['imports', 'disabledModules']);

const NO_CHILDREN: ReadonlyMap<string, OptionNode> = new Map();

class Checker {
  readonly problems: OptionProblem[] = [];

  constructor(private readonly index: OptionIndex) {}

  /** A value at a place in the option tree: a declared option, or a name above some. */
  node(value: NixValue, node: OptionNode, path: PathSegment[], freeform: boolean): void {
    if (node.option !== undefined) return this.option(value, node.option, node, path);
    if (value instanceof NixExpr) return;
    if (!isAttrs(value)) {
      return this.problem(
        'type-mismatch',
        path,
        `expected an attribute set of options, got ${describe(value)}`,
      );
    }
    this.members(value, node, path, freeform);
  }

  private members(value: AttrSet, node: OptionNode, path: PathSegment[], freeform: boolean): void {
    for (const key of Object.keys(value).sort()) {
      const child = node.children.get(key);
      const member = value[key] as NixValue;
      if (child !== undefined) this.node(member, child, [...path, key], freeform);
      else if (!freeform) this.unknown(member, [...path, key], node.children.keys(), node.covered);
    }
  }

  private option(value: NixValue, option: OptionEntry, node: OptionNode, path: PathSegment[]): void {
    if (option.readOnly) {
      return this.problem('read-only', path, 'is read-only: its module sets it');
    }
    this.value(value, option.type, node, path);
  }

  /** A value against a type; `node` holds what is declared below this place (sub-options). */
  private value(value: NixValue, type: OptionType, node: OptionNode, path: PathSegment[]): void {
    if (value instanceof NixExpr) return;
    switch (type.kind) {
      case 'anything':
      case 'raw':
        return;
      case 'submodule':
      case 'freeform':
        if (!isAttrs(value)) return this.mismatch(path, type, value);
        return this.members(value, node, path, type.kind === 'freeform');
      case 'attrsOf': {
        if (!isAttrs(value)) return this.mismatch(path, type, value);
        const names = node.children.get(NAME_PLACEHOLDER) ?? emptyNode(node);
        for (const key of Object.keys(value).sort())
          this.value(value[key] as NixValue, type.of, names, [...path, key]);
        return;
      }
      case 'listOf': {
        if (!isList(value)) return this.mismatch(path, type, value);
        const elements = node.children.get(ELEMENT_PLACEHOLDER) ?? emptyNode(node);
        value.forEach((element, i) => this.value(element, type.of, elements, [...path, i]));
        return;
      }
      case 'nullOr':
        return this.value(value, type.of, node, path);
      case 'either':
        return this.either(value, type, type.alternatives, node, path);
      case 'bool':
      case 'str':
      case 'lines':
      case 'path':
      case 'package':
      case 'port':
      case 'function':
      case 'int':
      case 'enum':
        if (!fitsScalar(value, type)) this.mismatch(path, type, value);
        return;
    }
  }

  private either(
    value: NixValue,
    type: OptionType,
    alternatives: readonly OptionType[],
    node: OptionNode,
    path: PathSegment[],
  ): void {
    const attempts = alternatives.map((alternative) => {
      const attempt = new Checker(this.index);
      attempt.value(value, alternative, node, path);
      return { alternative, problems: attempt.problems };
    });
    if (attempts.some((a) => a.problems.length === 0)) return;
    // A list or attribute set that one alternative takes by shape: its problems are the useful ones.
    const byShape = attempts.find((a) => takesShape(a.alternative, value));
    if (byShape !== undefined) this.problems.push(...byShape.problems);
    else this.mismatch(path, type, value);
  }

  private unknown(value: NixValue, path: PathSegment[], siblings: Iterable<string>, covered: boolean): void {
    const renamed = this.index.renamedAt(path);
    if (renamed !== undefined) {
      return renamed.to === undefined
        ? this.problem('removed', path, `was removed from NixOS ${this.index.release}`)
        : this.problem('renamed', path, `was renamed in NixOS ${this.index.release} to ${renamed.to}`);
    }
    if (isAttrs(value) && this.index.hasRenamedBelow(path)) {
      for (const key of Object.keys(value).sort())
        this.unknown(value[key] as NixValue, [...path, key], [], covered);
      return;
    }
    const name = path[path.length - 1];
    const closest = typeof name === 'string' ? closestName(name, siblings) : undefined;
    const suggestion = closest === undefined ? undefined : formatOptionPath([...path.slice(0, -1), closest]);
    const hint = suggestion === undefined ? '' : ` (did you mean ${suggestion}?)`;
    const message = covered
      ? `not an option of NixOS ${this.index.release}${hint}`
      : `not in the option index of NixOS ${this.index.release}, which does not cover this namespace${hint}`;
    this.problem(covered ? 'unknown-option' : 'not-indexed', path, message, suggestion);
  }

  private mismatch(path: PathSegment[], type: OptionType, value: NixValue): void {
    this.problem('type-mismatch', path, `expected ${describeType(type)}, got ${describe(value)}`);
  }

  private problem(kind: OptionProblemKind, path: PathSegment[], what: string, suggestion?: string): void {
    const shown = path.length === 0 ? '(top level)' : formatOptionPath(path);
    this.problems.push({
      kind,
      path: shown,
      message: `${shown}: ${what}`,
      ...(suggestion === undefined ? {} : { suggestion }),
    });
  }
}

type AttrSet = { readonly [key: string]: NixValue };

function isAttrs(value: NixValue): value is AttrSet {
  return typeof value === 'object' && !Array.isArray(value) && !(value instanceof NixExpr);
}

function isList(value: NixValue): value is readonly NixValue[] {
  return Array.isArray(value);
}

function emptyNode(parent: OptionNode): OptionNode {
  return { children: NO_CHILDREN, covered: parent.covered };
}

function fitsScalar(value: NixValue, type: OptionType): boolean {
  switch (type.kind) {
    case 'bool':
      return typeof value === 'boolean';
    case 'str':
    case 'lines':
      return typeof value === 'string';
    case 'path':
      return typeof value === 'string' && value.startsWith('/');
    case 'package':
      return typeof value === 'string' && value.startsWith('/nix/store/');
    case 'port':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= 65535;
    case 'int':
      return (
        typeof value === 'number' &&
        Number.isSafeInteger(value) &&
        (type.min === undefined || value >= type.min) &&
        (type.max === undefined || value <= type.max)
      );
    case 'enum':
      return (
        (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') &&
        type.values.includes(value)
      );
    case 'function':
    case 'anything':
    case 'raw':
    case 'freeform':
    case 'submodule':
    case 'listOf':
    case 'attrsOf':
    case 'nullOr':
    case 'either':
      return false;
  }
}

/** Whether `type` takes lists or attribute sets like `value` (so its deeper problems explain more). */
function takesShape(type: OptionType, value: NixValue): boolean {
  switch (type.kind) {
    case 'nullOr':
      return takesShape(type.of, value);
    case 'listOf':
      return isList(value);
    case 'attrsOf':
    case 'submodule':
    case 'freeform':
      return isAttrs(value);
    case 'either':
    case 'enum':
    case 'int':
    case 'bool':
    case 'str':
    case 'lines':
    case 'path':
    case 'package':
    case 'port':
    case 'function':
    case 'anything':
    case 'raw':
      return false;
  }
}

function describeType(type: OptionType): string {
  switch (type.kind) {
    case 'port':
      return 'port (an integer 0..65535)';
    case 'int': {
      const range =
        type.min === undefined
          ? type.max === undefined
            ? ''
            : ` of at most ${type.max}`
          : type.max === undefined
            ? ` of at least ${type.min}`
            : ` ${type.min}..${type.max}`;
      return `${formatOptionType(type)} (an integer${range})`;
    }
    case 'path':
      return 'path (a string starting with "/")';
    case 'package':
      return 'package (a Nix expression such as pkgs.hello, or a /nix/store path)';
    case 'function':
      return 'function (a Nix expression)';
    case 'enum':
      return `one of ${type.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'submodule':
    case 'freeform':
      return `${type.kind} (an attribute set)`;
    case 'bool':
    case 'str':
    case 'lines':
    case 'anything':
    case 'raw':
    case 'listOf':
    case 'attrsOf':
    case 'nullOr':
    case 'either':
      return formatOptionType(type);
  }
}

function describe(value: NixValue): string {
  if (typeof value === 'string') {
    const shown = JSON.stringify(value);
    return shown.length > 60 ? `${shown.slice(0, 57)}..."` : shown;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof NixExpr) return 'a Nix expression';
  return isList(value) ? 'a list' : 'an attribute set';
}

/** The declared name closest to `name` (edit distance, ignoring case), if close enough to be a typo. */
export function closestName(name: string, candidates: Iterable<string>): string | undefined {
  const limit = name.length <= 3 ? 1 : name.length <= 7 ? 2 : 3;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === NAME_PLACEHOLDER || candidate === ELEMENT_PLACEHOLDER) continue;
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance || (d === bestDistance && best !== undefined && candidate < best)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/** Every option problem of a rendered configuration's modules, each prefixed with its file. */
export function renderedOptionProblems(
  modules: Readonly<Record<string, NixValue>>,
  index: OptionIndex = nixosOptionIndex(),
): string[] {
  return Object.entries(modules).flatMap(([file, tree]) =>
    checkModuleOptions(tree, index).map((p) => `${file}: ${p.message}`),
  );
}
