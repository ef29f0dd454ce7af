import type { AppAdmin, AppDefinition, AppSecret, OptionSpec } from '../app-definition';

const EMAIL = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';

export function subdomainOption(defaultLabel: string, description: string, weight: number): OptionSpec {
  return { type: 'subdomain', default: defaultLabel, description, weight };
}

/** Name of the first admin account; `reserved` lists names the app refuses although the pattern allows them. */
export function adminUsernameOption(
  weight: number,
  rule: { pattern: string; hint: string; reserved?: readonly string[] },
): OptionSpec {
  return {
    type: 'string',
    description: 'User name of the first admin account, created on the first deploy.',
    default: 'owner',
    pattern: rule.pattern,
    patternHint: rule.hint,
    maxLength: 30,
    weight,
    ...(rule.reserved === undefined ? {} : { notIn: rule.reserved }),
  };
}

export function adminEmailOption(weight: number): OptionSpec {
  return {
    type: 'string',
    description:
      'E-mail address of the first admin account (default: owner@ the tenant domain). Notifications go there.',
    pattern: EMAIL,
    patternHint: 'an e-mail address',
    maxLength: 254,
    weight,
  };
}

/** The first admin's password: generated, read once by the operator through the API. */
export function adminPasswordSecret(...owners: string[]): AppSecret {
  return {
    name: 'admin-password',
    description: 'Password of the first admin account.',
    generate: { kind: 'password', bytes: 24 },
    ...(owners.length === 0 ? {} : { owners }),
  };
}

/** Lower-case letters, digits and underscores: what Mastodon, GoToSocial, Pixelfed and Matrix accept. */
export const LOWER_WORD_USERNAME = { pattern: '^[a-z0-9_]{1,30}$', hint: 'lower-case letters, digits and _' };

/** The usual first admin: named by `adminUsername`, mailed at `adminEmail`, password generated. */
export const ADMIN_FROM_OPTIONS: AppAdmin = {
  username: { option: 'adminUsername' },
  emailOption: 'adminEmail',
  passwordSecret: 'admin-password',
};

/** For apps whose data a database dump and a copy of their folders capture consistently. */
export const NO_BACKUP_HOOKS: AppDefinition['backupHooks'] = { before: [], after: [] };
