import { exitStatusIsError, formatUpid, parseUpid, type Upid } from './proxmox-upid';

const TASK: Upid = {
  node: 'pve1',
  pid: 0x1234,
  pstart: 0x12abcd,
  starttime: 0x65a1b2c3,
  type: 'qmclone',
  id: '9000',
  user: 'fedops@pve!provisioner',
};

describe('Proxmox UPIDs', () => {
  it('formats as pve-common does: 8 upper-case hex digits per number, trailing colon', () => {
    expect(formatUpid(TASK)).toBe(
      'UPID:pve1:00001234:0012ABCD:65A1B2C3:qmclone:9000:fedops@pve!provisioner:',
    );
  });

  it('parses what it formats, and real ones (9-digit pstart, empty id)', () => {
    expect(parseUpid(formatUpid(TASK))).toEqual(TASK);
    expect(parseUpid('UPID:pve-b:000A1B2C:1234ABCD9:65A1B2C3:vzdump::root@pam:')).toEqual({
      node: 'pve-b',
      pid: 0xa1b2c,
      pstart: 0x1234abcd9,
      starttime: 0x65a1b2c3,
      type: 'vzdump',
      id: '',
      user: 'root@pam',
    });
  });

  it('refuses what Proxmox cannot parse', () => {
    for (const text of [
      'UPID:pve1:00001234:0012ABCD:65A1B2C3:qmclone:9000:root@pam', // no trailing colon
      'UPID:-pve:00001234:0012ABCD:65A1B2C3:qmclone:9000:root@pam:', // node starting with -
      'UPID:pve1:1234:0012ABCD:65A1B2C3:qmclone:9000:root@pam:', // short pid
      'UPID:pve1:00001234:0012ABCD:65A1B2C3:qm/clone:9000:root@pam:', // slash
    ]) {
      expect(parseUpid(text)).toBeUndefined();
    }
  });

  it('treats OK and WARNINGS: n as success, anything else as the error text', () => {
    expect(exitStatusIsError('OK')).toBe(false);
    expect(exitStatusIsError('WARNINGS: 2')).toBe(false);
    expect(exitStatusIsError('clone failed: got timeout')).toBe(true);
    expect(exitStatusIsError('unexpected status')).toBe(true);
  });
});
