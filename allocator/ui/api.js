// The allocator's documented read API (docs/allocator.md, "API"), called with the page's API key.
/* global fetch, URL */

/** An answer that is not a success: the HTTP status and the API's `{ error: { code, message } }`. */
export class ApiError extends Error {
  constructor(status, code, message, retryAfterSeconds) {
    super(message);
    this.status = status;
    this.code = code;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * The read routes the page uses, relative to `baseUrl` (the allocator's root). `apiKey` is sent as
 * `x-api-key`; without one the allocator answers only in open mode.
 */
export function createApi(baseUrl, apiKey) {
  async function get(path) {
    const headers = { accept: 'application/json' };
    if (apiKey) headers['x-api-key'] = apiKey;
    let response;
    try {
      response = await fetch(new URL(path, baseUrl), { headers, cache: 'no-store' });
    } catch {
      throw new ApiError(0, 'UNREACHABLE', 'the allocator cannot be reached');
    }
    const body = await response.json().catch(() => undefined);
    if (!response.ok) {
      const retryAfter = Number(response.headers.get('retry-after'));
      throw new ApiError(
        response.status,
        body?.error?.code ?? `HTTP_${response.status}`,
        body?.error?.message ?? response.statusText,
        Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      );
    }
    return body;
  }

  return {
    /** GET /v1/groups: the groups this key may read, with pool usage. */
    groups: async () => (await get('v1/groups')).groups,
    /** GET /v1/groups/{g}/history: every request of the group still remembered, live or ended. */
    history: async (groupName) => (await get(`v1/groups/${encodeURIComponent(groupName)}/history`)).requests,
  };
}
