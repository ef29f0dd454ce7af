import type { SimResponse } from '../common/http-router';

/**
 * DigitalOcean's error envelope: `{"id": "<short id mirroring the status>", "message": "...",
 * "request_id": "<uuid>"}` on every 4xx/5xx (openapi `shared/models/error.yml`). The request id is
 * filled in by the simulator's response hook, which also sets `x-request-id`.
 */
export const ERROR_IDS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  422: 'unprocessable_entity',
  429: 'too_many_requests',
  500: 'server_error',
};

/** Messages the real API sends, as quoted in the vendor's reference and in client projects' issues. */
export const MESSAGES = {
  unauthorized: 'Unable to authenticate you.',
  notFound: 'The resource you were accessing could not be found.',
  rateLimited: 'API rate limit exceeded.',
  serverError: 'Unexpected server-side error',
  pendingEvent: 'Droplet already has a pending event.',
  invalidImage: 'You specified an invalid image for Droplet creation.',
  invalidSize: 'You specified an invalid size for Droplet creation.',
  invalidRegion: 'You specified an invalid region for Droplet creation.',
  invalidName: 'Only valid hostname characters are allowed. (a-z, A-Z, 0-9, . and -)',
  keyInUse: 'SSH Key is already in use on your account',
  keyInvalid: 'Key invalid, key should be of the format `type key [comment]`',
  dropletLimit: 'creating this/these droplet(s) will exceed your droplet limit',
  diskShrink: "Size can not decrease size of Droplet's disk image",
  // Unconfirmed wording (the API's own text for these cases is not in the public references).
  nameBlank: 'Name can not be blank.',
  tooManyNames: 'You can only create up to 10 Droplets at once.',
  userDataTooLong: 'User data must be less than 64KiB.',
  mustBeOff: 'Droplet is currently on. Please power it off to run this event.',
  badBody: 'The request body is not valid JSON.',
  tagFilterConflict: 'tag_name cannot be combined with name or type.',
} as const;

export function doError(status: number, message: string, id?: string): SimResponse {
  return {
    status,
    body: { id: id ?? ERROR_IDS[status] ?? (status >= 500 ? 'server_error' : 'error'), message },
  };
}

export const notFound = (): SimResponse => doError(404, MESSAGES.notFound);
export const unprocessable = (message: string): SimResponse => doError(422, message);

/** A 5xx from the load balancer in front of the API: HTML, not the JSON envelope (clients must cope). */
export function proxyErrorPage(status: number): SimResponse {
  const reason =
    status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Temporarily Unavailable' : 'Gateway Timeout';
  return {
    status,
    headers: { 'content-type': 'text/html' },
    body: `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n</body>\r\n</html>\r\n`,
  };
}

/** The body POST /v2/tags answers a bad tag name with (openapi `tags/responses/tags_bad_request.yml`). */
export function tagBadRequest(name: string): SimResponse {
  const text = `Error validating resource tag: "tag-name \\"${name}\\" contains invalid characters"`;
  return {
    status: 400,
    body: {
      error: text,
      messages: null,
      root_causes: [`rpc error: code = InvalidArgument desc = ${text}`],
    },
  };
}
