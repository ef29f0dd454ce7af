import type { AppDefinition } from '../app-definition';
import { forgejo } from './forgejo';
import { gotosocial } from './gotosocial';
import { jitsi } from './jitsi';
import { mastodon } from './mastodon';
import { matrix } from './matrix';
import { nextcloud } from './nextcloud';
import { peertube } from './peertube';
import { pixelfed } from './pixelfed';

export { TURN_RELAY_PORTS } from './matrix';

/** The catalog, in the order `GET /v1/apps` lists it. */
export const APPS: readonly AppDefinition[] = [
  mastodon,
  pixelfed,
  peertube,
  matrix,
  gotosocial,
  forgejo,
  nextcloud,
  jitsi,
];
