/**
 * Parameter verification as pve-common's JSONSchema does it: every parameter arrives as text (form
 * bodies, query strings) or as JSON values; each failure is collected under its name with the
 * schema's own wording, and the call is refused with 400 `Parameter verification failed.`.
 */
import { paramError } from './proxmox-errors';

export type ParamKind =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'pve-vmid'
  | 'pve-node'
  | 'pve-storage-id'
  | 'dns-name'
  | 'urlencoded'
  | 'pve-tag-list'
  | 'pve-qm-ipconfig'
  | 'address-list'
  | 'disk-size'
  | 'pve-configid-list';

export interface ParamSchema {
  kind: ParamKind;
  optional?: boolean;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  enum?: readonly string[];
}

export type Schema = Record<string, ParamSchema>;

/** The tag characters Proxmox allows (`$PVE_TAG_RE`, case-insensitive). */
export const PVE_TAG_PATTERN = /^[a-z0-9_][a-z0-9_\-+.]*$/i;
const DNS_NAME = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?\.)*[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:]+(?:%\w+)?$/;

/** `PVE::Tools::split_list`: items separated by `;`, `,`, spaces or NUL. */
export function splitList(text: string): string[] {
  return text.split(/[;,\s\0]+/).filter((item) => item.length > 0);
}

/** `get_unique_tags`: lower-cased (tag style not case-sensitive), sorted, deduplicated, joined by `;`. */
export function uniqueTags(text: string): string {
  return [...new Set(splitList(text).map((tag) => tag.toLowerCase()))].sort().join(';');
}

function isCidr4(text: string): boolean {
  const [ip, prefix, ...rest] = text.split('/');
  return (
    rest.length === 0 &&
    ip !== undefined &&
    IPV4.test(ip) &&
    prefix !== undefined &&
    /^\d+$/.test(prefix) &&
    Number(prefix) <= 32
  );
}

function isCidr6(text: string): boolean {
  const [ip, prefix, ...rest] = text.split('/');
  return (
    rest.length === 0 &&
    ip !== undefined &&
    IPV6.test(ip) &&
    prefix !== undefined &&
    /^\d+$/.test(prefix) &&
    Number(prefix) <= 128
  );
}

/** `ipconfigN`: `[ip=<IPv4/CIDR|dhcp>][,gw=<IPv4>][,ip6=<IPv6/CIDR|auto|dhcp>][,gw6=<IPv6>]`. */
function ipconfigProblem(value: string): string | undefined {
  for (const part of value.split(',')) {
    const [key, val, ...rest] = part.split('=');
    if (rest.length > 0 || val === undefined)
      return `invalid format - format error\n${part}: value without key, but schema does not define a default key`;
    switch (key) {
      case 'ip':
        if (val !== 'dhcp' && !isCidr4(val))
          return 'invalid format - value does not look like a valid ipv4 network configuration';
        break;
      case 'gw':
        if (!IPV4.test(val)) return 'invalid format - value does not look like a valid IPv4 address';
        break;
      case 'ip6':
        if (val !== 'dhcp' && val !== 'auto' && !isCidr6(val))
          return 'invalid format - value does not look like a valid ipv6 network configuration';
        break;
      case 'gw6':
        if (!IPV6.test(val)) return 'invalid format - value does not look like a valid IPv6 address';
        break;
      case undefined:
      default:
        return `invalid format - format error\n${key}: property is not defined in schema and the schema does not allow additional properties`;
    }
  }
  return undefined;
}

/** Text of a parameter value as Perl sees it: JSON true/false become 1/0, numbers their decimal form. */
function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((v) => asText(v) ?? '').join('\0');
  return undefined;
}

function checkOne(schema: ParamSchema, value: unknown): string | undefined {
  const text = asText(value);
  if (text === undefined) return 'type check failed';
  switch (schema.kind) {
    case 'integer':
    case 'pve-vmid': {
      if (!/^-?\d+$/.test(text)) return `type check ('integer') failed - got '${text}'`;
      if (schema.kind === 'pve-vmid' && !/^[1-9][0-9]{2,8}$/.test(text)) {
        return 'invalid format - value does not look like a valid VM ID';
      }
      break;
    }
    case 'boolean':
      if (typeof value !== 'boolean' && text !== '0' && text !== '1')
        return `type check ('boolean') failed - got '${text}'`;
      break;
    case 'pve-node':
      if (!DNS_NAME.test(text) || text.includes('.'))
        return 'invalid format - value does not look like a valid node name';
      break;
    case 'pve-storage-id':
      if (!/^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(text))
        return `invalid format - storage ID '${text}' contains illegal characters`;
      break;
    case 'dns-name':
      if (!DNS_NAME.test(text)) return 'invalid format - value does not look like a valid DNS name';
      break;
    case 'urlencoded':
      if (!/^[-%a-zA-Z0-9_.!~*'()]*$/.test(text))
        return `invalid format - invalid urlencoded string: ${text}`;
      break;
    case 'pve-tag-list':
      for (const tag of splitList(text)) {
        if (!PVE_TAG_PATTERN.test(tag)) return 'invalid format - invalid characters in tag';
      }
      break;
    case 'pve-qm-ipconfig': {
      const problem = ipconfigProblem(text);
      if (problem) return problem;
      break;
    }
    case 'address-list':
      for (const address of splitList(text)) {
        if (!IPV4.test(address) && !IPV6.test(address))
          return `invalid format - value does not look like a valid address: ${address}`;
      }
      break;
    case 'disk-size':
      if (!/^\+?\d+(?:\.\d+)?[KMGT]?$/.test(text)) return 'value does not match the regex pattern';
      break;
    case 'pve-configid-list':
      for (const id of splitList(text)) {
        if (!/^[a-z][a-z_]*\d*$/i.test(id)) return `invalid format - invalid configuration ID '${id}'`;
      }
      break;
    case 'string':
      break;
  }
  if (schema.enum && !schema.enum.includes(text))
    return `value '${text}' does not have a value in the enumeration '${schema.enum.join(', ')}'`;
  if (schema.maxLength !== undefined && text.length > schema.maxLength)
    return `value may only be ${schema.maxLength} characters long`;
  if (schema.kind === 'integer' || schema.kind === 'pve-vmid') {
    const n = Number(text);
    if (schema.maximum !== undefined && n > schema.maximum)
      return `value must have a maximum value of ${schema.maximum}`;
    if (schema.minimum !== undefined && n < schema.minimum)
      return `value must have a minimum value of ${schema.minimum}`;
  }
  return undefined;
}

/**
 * Checks `params` against `schema` (path parameters included) and returns every value as text;
 * throws the 400 with all problems at once, as Proxmox does. Unknown parameters are refused
 * (`additionalProperties => 0` on every call a provisioner uses).
 */
export function verifyParams(schema: Schema, params: Record<string, unknown>): Record<string, string> {
  const errors: Record<string, string> = {};
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    const rule = schema[name];
    if (!rule) {
      errors[name] = 'property is not defined in schema and the schema does not allow additional properties';
      continue;
    }
    const problem = checkOne(rule, value);
    if (problem) errors[name] = problem;
    else {
      const text = asText(value);
      if (text !== undefined) out[name] = text;
    }
  }
  for (const [name, rule] of Object.entries(schema)) {
    if (!rule.optional && out[name] === undefined && errors[name] === undefined) {
      errors[name] = 'property is missing and it is not optional';
    }
  }
  if (Object.keys(errors).length > 0) throw paramError(errors);
  return out;
}

/** `1`/`0` (or JSON true/false, already turned into text) as a boolean. */
export function isTrue(value: string | undefined): boolean {
  return value === '1';
}

/** Bytes of a Proxmox size string (`12G`, `+10G`, `512M`, bare bytes). */
export function parseSize(text: string): { relative: boolean; bytes: number } {
  const match = /^(\+)?(\d+(?:\.\d+)?)([KMGT])?$/.exec(text);
  if (!match) throw new Error(`not a size: ${text}`);
  const units: Record<string, number> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
  const factor = match[3] ? (units[match[3]] ?? 1) : 1;
  return { relative: match[1] === '+', bytes: Math.floor(Number(match[2]) * factor) };
}

/** `PVE::JSONSchema::format_size`: the largest unit that divides the size evenly. */
export function formatSize(bytes: number): string {
  for (const [unit, factor] of [
    ['T', 2 ** 40],
    ['G', 2 ** 30],
    ['M', 2 ** 20],
    ['K', 2 ** 10],
  ] as const) {
    if (bytes % factor === 0 && bytes >= factor) return `${bytes / factor}${unit}`;
  }
  return String(bytes);
}
