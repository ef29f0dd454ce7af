/**
 * Where a process' CPU time went, from a V8 `.cpuprofile`: by code owner (an npm package, a fedops
 * project, Node's own modules, GC), as self time (the frame on top of the stack) and as inclusive
 * time (the owner anywhere on the stack; synchronous parts only: an `await` ends a stack), plus the
 * functions with the most self time. Pure, so it is unit tested.
 */

export interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** Microseconds since the previous sample (the first since startTime). */
  timeDeltas: number[];
}

/** Who a frame's code belongs to. */
export function ownerOf(frame: CpuProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (url === '') {
    if (functionName === '(garbage collector)') return 'gc';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'v8/native';
    if (functionName === '(root)') return 'root';
    return 'native';
  }
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope = '', name = ''] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (url.startsWith('node:')) return 'node';
  const fedops = /\/(services|libs|tools)\/([^/]+)\//.exec(url);
  if (fedops) return fedops[1] === 'libs' ? `@fedops/${fedops[2]}` : (fedops[2] ?? 'fedops');
  if (url.includes('/workflows/')) return '@fedops/workflows';
  return 'other';
}

export interface ProfileSummary {
  /** Wall time the profile covers (ms). */
  wallMs: number;
  /** Sampled time not idle (ms). */
  busyMs: number;
  /** Self time by owner (ms), largest first. */
  selfByOwner: Array<[string, number]>;
  /** Inclusive time by owner (ms), largest first. */
  inclusiveByOwner: Array<[string, number]>;
  /** Functions by self time (ms): `name (owner)`. */
  topFunctions: Array<[string, number]>;
}

export function summarizeProfile(profile: CpuProfile, topN = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const functions = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number): void => void m.set(k, (m.get(k) ?? 0) + v);
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    // Each sample stands for the interval up to the next one.
    const us = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
    const node = byId.get(id);
    if (node === undefined) return;
    const owner = ownerOf(node.callFrame);
    add(self, owner, us);
    if (owner === 'idle') return;
    busyUs += us;
    const name = node.callFrame.functionName || '(anonymous)';
    add(functions, `${name} (${owner})`, us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (frame === undefined) break;
      const o = ownerOf(frame.callFrame);
      if (o !== 'root' && !seen.has(o)) {
        seen.add(o);
        add(inclusive, o, us);
      }
    }
  });
  const ms = (m: Map<string, number>, n = Infinity): Array<[string, number]> =>
    [...m.entries()]
      .map(([k, us]): [string, number] => [k, us / 1000])
      .sort((a, b) => b[1] - a[1])
      .slice(0, n);
  return {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: busyUs / 1000,
    selfByOwner: ms(self).filter(([k]) => k !== 'idle'),
    inclusiveByOwner: ms(inclusive),
    topFunctions: ms(functions, topN),
  };
}

/** A few lines for the terminal: shares of the busy time, and per request when `requests` is given. */
export function renderProfileSummary(
  title: string,
  s: ProfileSummary,
  requests: number,
  topOwners = 12,
): string {
  const share = (x: number): string => `${((100 * x) / Math.max(s.busyMs, 1e-9)).toFixed(1)}%`;
  const perRequest = (x: number): string => (requests > 0 ? `${(x / requests).toFixed(3)} ms/req` : '');
  const list = (rows: Array<[string, number]>, n: number): string =>
    rows
      .slice(0, n)
      .map(([k, x]) => `    ${k.padEnd(40)} ${share(x).padStart(6)}  ${perRequest(x)}`)
      .join('\n');
  return [
    `${title}: busy ${s.busyMs.toFixed(0)} ms of ${s.wallMs.toFixed(0)} ms (${perRequest(s.busyMs)})`,
    '  self time by owner:',
    list(s.selfByOwner, topOwners),
    '  inclusive time by owner (on the stack, synchronous parts):',
    list(s.inclusiveByOwner, topOwners),
    '  functions by self time:',
    list(s.topFunctions, s.topFunctions.length),
  ].join('\n');
}
