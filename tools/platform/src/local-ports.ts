/** Fixed ports of the local platform (`npm start`), so URLs stay the same across starts. Tests use free ports. */
export const LOCAL_PORTS = {
  infra: {
    postgres: 15432,
    nats: 14222,
    natsMonitor: 18222,
    temporal: 17233,
    temporalUi: 18233,
    powerdnsApi: 18081,
    powerdnsDns: 15353,
    /** The S3 server (versitygw): the backups' object storage. */
    s3: 17070,
  },
  oidc: 9090,
  /** The launcher's own GET /status (npm run status). */
  status: 8090,
  /** The simulated providers (8006 is Proxmox VE's own port). */
  simulators: { proxmox: 8006, hetzner: 8441, digitalocean: 8442 },
  services: {
    'tenant-api': 8080,
    provisioner: 8091,
    dns: 8092,
    deployer: 8093,
    backup: 8094,
  },
} as const;
