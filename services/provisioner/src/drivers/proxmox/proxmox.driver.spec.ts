import { FedopsError } from '@fedops/domain';
import { bootDisk, guestAddress, ProxmoxDriver, upidNode, withBridge } from './proxmox.driver';

describe('Proxmox driver helpers', () => {
  it('takes the node a task runs on from its UPID', () => {
    expect(upidNode('UPID:pve2:000A1B2C:1234ABCD9:65A1B2C3:qmstart:101:fedops@pve!provisioner:')).toBe(
      'pve2',
    );
    expect(upidNode('not a upid')).toBeUndefined();
  });

  it('finds the boot disk and its size', () => {
    expect(
      bootDisk({
        boot: 'order=scsi0;ide2;net0',
        ide2: 'cephpool:vm-101-cloudinit,media=cdrom',
        scsi0: 'cephpool:vm-101-disk-0,iothread=1,size=12G',
        scsi1: 'cephpool:vm-101-disk-1,size=100G',
      }),
    ).toEqual({ key: 'scsi0', sizeBytes: 12 * 2 ** 30 });
    expect(bootDisk({ virtio0: 'local-lvm:vm-101-disk-0,size=512M' })).toEqual({
      key: 'virtio0',
      sizeBytes: 512 * 2 ** 20,
    });
    expect(bootDisk({ ide2: 'none,media=cdrom' })).toBeUndefined();
  });

  it('changes the bridge of net0 and keeps its model and MAC', () => {
    expect(withBridge('virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1', 'vmbr1')).toBe(
      'virtio=BC:24:11:00:00:01,bridge=vmbr1,firewall=1',
    );
    expect(withBridge('virtio=BC:24:11:00:00:01', 'vmbr1')).toBe('virtio=BC:24:11:00:00:01,bridge=vmbr1');
  });

  it('picks the guest address from network-get-interfaces: no loopback, no link-local, IPv4', () => {
    expect(
      guestAddress([
        { name: 'lo', 'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4' }] },
        {
          name: 'eth0',
          'ip-addresses': [
            { 'ip-address': 'fe80::1', 'ip-address-type': 'ipv6' },
            { 'ip-address': '169.254.3.4', 'ip-address-type': 'ipv4' },
            { 'ip-address': '203.0.113.7', 'ip-address-type': 'ipv4' },
          ],
        },
      ]),
    ).toBe('203.0.113.7');
    expect(
      guestAddress([
        { name: 'lo', 'ip-addresses': [{ 'ip-address': '127.0.0.1', 'ip-address-type': 'ipv4' }] },
      ]),
    ).toBeUndefined();
  });

  it('refuses a config proxmox-api would refuse, naming every bad field', () => {
    const make = () =>
      new ProxmoxDriver({
        endpoint: 'ftp://pve',
        tokenId: 'root@pam',
        tokenSecret: 'ABC',
        storage: 'local-lvm',
        template: 9000,
        pollIntervalMs: 1000,
      });
    expect(make).toThrow(FedopsError);
    expect(make).toThrow(/endpoint: .*tokenId: .*tokenSecret: /);
  });

  it('takes plain http endpoints (the simulator) as well as https', () => {
    expect(
      () =>
        new ProxmoxDriver({
          endpoint: 'http://127.0.0.1:8006',
          tokenId: 'fedops@pve!provisioner',
          tokenSecret: '12345678-1234-1234-1234-1234567890ab',
          storage: 'local-lvm',
          template: 9000,
          pollIntervalMs: 1000,
        }),
    ).not.toThrow();
  });
});
