/**
 * Nix literal helpers. Every value that comes from a tenant (domain, option values, emails) goes
 * through these, so no input can end a string early or start an antiquotation.
 */

/**
 * A double-quoted Nix string whose value is exactly `value`.
 * Escapes `\`, `"` and `${` (and `$` generally, which is harmless and keeps `$${` safe), plus the
 * control characters Nix has escapes for. Other characters are taken literally by Nix.
 */
export function nixString(value: string): string {
  let out = '"';
  for (const ch of value) {
    switch (ch) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '$':
        out += '\\$';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      default:
        out += ch;
    }
  }
  return out + '"';
}

const BARE_ATTR = /^[A-Za-z_][A-Za-z0-9_'-]*$/;
const NIX_KEYWORDS = new Set(['if', 'then', 'else', 'assert', 'with', 'let', 'in', 'rec', 'inherit', 'or']);

/** An attribute name: bare when Nix allows it, otherwise quoted. */
export function nixAttrName(name: string): string {
  return BARE_ATTR.test(name) && !NIX_KEYWORDS.has(name) ? name : nixString(name);
}

/**
 * A Nix expression written by fedops itself (never from tenant input), rendered as is: a package
 * (`pkgs.element-web`), a reference to another option (`config.services.coturn.listening-port`).
 */
export class NixExpr {
  constructor(readonly expr: string) {}
}

/** Shorthand for `new NixExpr(expr)`. */
export function nixExpr(expr: string): NixExpr {
  return new NixExpr(expr);
}

/**
 * A Nix value from a plain JSON-like value (strings, finite integers, booleans, lists, attribute
 * sets), with fedops' own expressions as leaves.
 */
export type NixValue =
  string | number | boolean | NixExpr | readonly NixValue[] | { readonly [key: string]: NixValue };

/**
 * Renders a value as Nix, attribute sets with sorted keys so output is deterministic.
 * `indent` is the indentation of the line the value starts on.
 */
export function nixValue(value: NixValue, indent = ''): string {
  if (typeof value === 'string') return nixString(value);
  if (value instanceof NixExpr) return value.expr;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new Error(`Only safe integers can be rendered as Nix, got ${value}`);
    return String(value);
  }
  const inner = indent + '  ';
  if (isList(value)) {
    if (value.length === 0) return '[ ]';
    return `[\n${value.map((v) => `${inner}${nixValue(v, inner)}`).join('\n')}\n${indent}]`;
  }
  const keys = Object.keys(value).sort();
  if (keys.length === 0) return '{ }';
  const lines = keys.map((k) => `${inner}${nixAttrName(k)} = ${nixValue(value[k] as NixValue, inner)};`);
  return `{\n${lines.join('\n')}\n${indent}}`;
}

function isList(value: NixValue): value is readonly NixValue[] {
  return Array.isArray(value);
}
