import { renderStatusTable } from './status-table';

describe('renderStatusTable', () => {
  it('aligns one row per component and lists problems below', () => {
    const table = renderStatusTable([
      {
        name: 'postgres',
        state: 'running',
        pid: 3783,
        restarts: 1,
        lastExit: { at: '2026-12-01T09:11:46.000Z', how: 'signal SIGKILL' },
        uptimeMs: 7_200,
        logFile: '/d/postgres.log',
        problem: null,
      },
      {
        name: 'deployer',
        state: 'failed',
        pid: null,
        restarts: 5,
        lastExit: { at: '2026-12-01T09:12:00.000Z', how: 'code 1' },
        uptimeMs: null,
        logFile: '/d/deployer.log',
        problem: 'it needed 5 restarts within 5 min and exited again',
      },
    ]);
    expect(table.split('\n')).toEqual([
      'COMPONENT  STATE    PID   RESTARTS  UPTIME  LAST EXIT                   LOG',
      'postgres   running  3783  1         7 s     signal SIGKILL at 09:11:46  /d/postgres.log',
      'deployer   failed   -     5         -       code 1 at 09:12:00          /d/deployer.log',
      '',
      'deployer: it needed 5 restarts within 5 min and exited again',
    ]);
  });
});
