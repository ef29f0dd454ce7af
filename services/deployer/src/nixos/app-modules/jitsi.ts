import { bool, fqdn, type AppModuleRenderer } from './app-module';

/**
 * Jitsi Meet (services.jitsi-meet): Prosody, Jicofo and the video bridge, with the module's own nginx
 * virtual host. The bridge's media port is opened by the base module from the catalog, not by the
 * module's `openFirewall`.
 */
export const jitsiRenderer: AppModuleRenderer = {
  renders: ['welcomePage'],
  ownsNginxVhost: ['web'],
  module(ctx) {
    return {
      services: {
        'jitsi-meet': {
          enable: true,
          hostName: fqdn(ctx, 'web'),
          nginx: { enable: true },
          config: { enableWelcomePage: bool(ctx.options, 'welcomePage') },
        },
        'jitsi-videobridge': { openFirewall: false },
      },
    };
  },
};
