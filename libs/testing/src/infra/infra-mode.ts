/** Pure choice between native processes and containers (FEDOPS_INFRA=containers|native|auto). */
export type InfraMode = 'native' | 'containers';
export type RequestedInfraMode = InfraMode | 'auto';

export function parseInfraMode(value: string | undefined): RequestedInfraMode {
  const mode = (value ?? '').trim().toLowerCase();
  if (mode === '' || mode === 'auto') return 'auto';
  if (mode === 'native' || mode === 'containers') return mode;
  throw new Error(`FEDOPS_INFRA must be one of containers, native, auto (got ${JSON.stringify(value)})`);
}

/**
 * `auto` prefers native processes when every needed binary is installed (the tested path, and the
 * one that keeps data between runs), then containers when a Docker engine answers, else native
 * (which then fails naming the missing binaries).
 */
export function chooseInfraMode(
  requested: RequestedInfraMode,
  facts: { missingNativeBinaries: readonly string[]; dockerAvailable: () => Promise<boolean> },
): Promise<InfraMode> | InfraMode {
  if (requested !== 'auto') return requested;
  if (facts.missingNativeBinaries.length === 0) return 'native';
  return facts.dockerAvailable().then((docker) => (docker ? 'containers' : 'native'));
}
