/** An RFC 9457 problem as tenant-api sends it (`application/problem+json`), every field optional. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  code?: string;
  errors?: Array<{ field: string; message: string }>;
}

/** The problem in an error answer's body, or undefined when the body is not one (HTML, empty, text). */
export function parseProblem(text: string): Problem | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const raw = value as Record<string, unknown>;
  const problem: Problem = {};
  for (const key of ['type', 'title', 'detail', 'instance', 'code'] as const) {
    const v = raw[key];
    if (typeof v === 'string' && v !== '') problem[key] = v;
  }
  if (typeof raw['status'] === 'number') problem.status = raw['status'];
  if (Array.isArray(raw['errors'])) {
    problem.errors = raw['errors'].flatMap((e: unknown) => {
      if (typeof e !== 'object' || e === null) return [];
      const { field, message } = e as Record<string, unknown>;
      return [{ field: typeof field === 'string' ? field : '(unknown)', message: String(message ?? '') }];
    });
  }
  // An OAuth error answer ({error, error_description}) reads the same way.
  if (problem.title === undefined && typeof raw['error'] === 'string') problem.title = raw['error'];
  if (problem.detail === undefined && typeof raw['error_description'] === 'string')
    problem.detail = raw['error_description'];
  return problem.title === undefined && problem.detail === undefined && problem.code === undefined
    ? undefined
    : problem;
}

/**
 * The problem for people: a first line with the title, the detail and the status and code, then one
 * indented line per field error. The detail is left out when it only repeats the field errors (as
 * tenant-api's validation detail does).
 */
export function formatProblem(problem: Problem, status: number): string {
  const errors = problem.errors ?? [];
  const detailRepeatsErrors =
    errors.length > 0 &&
    problem.detail !== undefined &&
    errors.every((e) => problem.detail?.includes(`${e.field}: ${e.message}`));
  const title = problem.title ?? httpReason(status);
  const detail = detailRepeatsErrors || problem.detail === title ? undefined : problem.detail;
  const where = [String(problem.status ?? status), problem.code].filter((s) => s !== undefined).join(' ');
  const head = `${title}${detail === undefined ? '' : `: ${detail}`} (${where})`;
  return [head, ...errors.map((e) => `  ${e.field}: ${e.message}`)].join('\n');
}

/**
 * Whether a 404 means that the server has no such route at all (an older tenant-api), not that the
 * resource is missing: the framework then answers with its own detail, `Cannot GET /v1/tokens`.
 */
export function isMissingRoute(problem: Problem | undefined, status: number): boolean {
  return status === 404 && problem?.detail !== undefined && /^Cannot [A-Z]+ \//.test(problem.detail);
}

const REASONS: Record<number, string> = {
  400: 'Bad request',
  401: 'Authentication required',
  403: 'Forbidden',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  412: 'Precondition failed',
  413: 'Request too large',
  415: 'Unsupported media type',
  422: 'Unprocessable request',
  429: 'Too many requests',
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'Gateway timeout',
};

export function httpReason(status: number): string {
  return REASONS[status] ?? `HTTP ${status}`;
}
