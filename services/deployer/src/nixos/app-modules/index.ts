import type { AppModuleRenderer } from './app-module';
import { forgejoRenderer } from './forgejo';
import { gotosocialRenderer } from './gotosocial';
import { jitsiRenderer } from './jitsi';
import { mastodonRenderer } from './mastodon';
import { matrixRenderer } from './matrix';
import { nextcloudRenderer } from './nextcloud';
import { peertubeRenderer } from './peertube';
import { pixelfedRenderer } from './pixelfed';

export * from './app-module';
export { matrixWellKnown } from './matrix';

/** Renderers by catalog app id; an app in the catalog without one cannot be deployed. */
export const APP_MODULE_RENDERERS: Readonly<Record<string, AppModuleRenderer>> = {
  mastodon: mastodonRenderer,
  pixelfed: pixelfedRenderer,
  peertube: peertubeRenderer,
  matrix: matrixRenderer,
  gotosocial: gotosocialRenderer,
  forgejo: forgejoRenderer,
  nextcloud: nextcloudRenderer,
  jitsi: jitsiRenderer,
};
