#!/usr/bin/env node
import { run } from './cli';
import { processIo } from './io';

// Ctrl-C stops what the command waits for (it reports and exits 130); a second one exits at once.
const interrupt = new AbortController();
process.once('SIGINT', () => {
  interrupt.abort(new Error('interrupted'));
  process.once('SIGINT', () => process.exit(130));
});
// `fedops tenants list | head`: the reader left; that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

void run(process.argv.slice(2), processIo(interrupt.signal)).then((code) => {
  process.exitCode = code;
});
