/** Who this platform is to the machines it makes: the key it logs in with and the label it marks them with. */
export class MachinePlatform {
  constructor(
    /** The platform's SSH public key line, authorised for root on every machine. */
    readonly sshPublicKey: string,
    /** Value of the `fedops-platform` label: tells this installation's machines from others' in one account. */
    readonly label: string,
  ) {}
}
