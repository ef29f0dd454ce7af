/** Pure argument building for nats-server with JetStream. */
export function natsServerArgs(options: { port: number; monitorPort: number; storeDir: string }): string[] {
  return [
    '-js',
    '-a',
    '127.0.0.1',
    '-p',
    String(options.port),
    '-sd',
    options.storeDir,
    '-m',
    String(options.monitorPort),
    '-n',
    'fedops-nats',
  ];
}
