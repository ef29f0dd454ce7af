import type { AppDefinition } from './app-definition';

const EMAIL = '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$';

export const mastodon: AppDefinition = {
  id: 'mastodon',
  name: 'Mastodon',
  description: 'Decentralised microblogging on the fediverse (ActivityPub).',
  port: 3000,
  healthPath: '/health',
  defaultSubdomain: 'social',
  options: {
    singleUserMode: {
      type: 'boolean',
      description: 'Open the instance for one account only.',
      default: false,
    },
    registrations: {
      type: 'enum',
      description: 'Who may sign up.',
      values: ['open', 'approval', 'closed'],
      default: 'approval',
    },
    maxTootChars: {
      type: 'integer',
      description: 'Longest post, in characters.',
      default: 500,
      min: 500,
      max: 10000,
    },
    adminEmail: {
      type: 'string',
      description: 'Address of the first admin account.',
      pattern: EMAIL,
      patternHint: 'an e-mail address',
      maxLength: 254,
    },
  },
};

export const gotosocial: AppDefinition = {
  id: 'gotosocial',
  name: 'GoToSocial',
  description: 'Lightweight ActivityPub server for small instances.',
  port: 8080,
  healthPath: '/readyz',
  defaultSubdomain: 'gts',
  options: {
    registrationsOpen: { type: 'boolean', description: 'Allow sign-ups.', default: false },
    accountsApprovalRequired: { type: 'boolean', description: 'New accounts need approval.', default: true },
  },
};

export const forgejo: AppDefinition = {
  id: 'forgejo',
  name: 'Forgejo',
  description: 'Self-hosted Git forge.',
  port: 3001,
  healthPath: '/api/healthz',
  defaultSubdomain: 'git',
  options: {
    disableRegistration: { type: 'boolean', description: 'Only admins create accounts.', default: true },
    lfs: { type: 'boolean', description: 'Enable Git LFS.', default: false },
  },
};

export const APPS: readonly AppDefinition[] = [mastodon, gotosocial, forgejo];
