// The only code that talks to the papertray daemon: base URL from the port setting, bearer token, timeout,
// and the identity check (a response without X-Papertray-Version is not papertray, so we treat it as offline).
// Every failure is one DaemonError with a `kind` the popup and options page turn into a sentence.

export const API_VERSION = '1';
const TIMEOUT_MS = 5000;

export class DaemonError extends Error {
  /** kind: 'offline' | 'foreign' | 'incompatible' | 'unpaired' | 'unauthorized' | 'http' */
  constructor(kind, message, status = 0) {
    super(message);
    this.name = 'DaemonError';
    this.kind = kind;
    this.status = status;
  }
}

export function baseUrl(port) {
  return `http://127.0.0.1:${port}/api/v1/`;
}

/**
 * Call `path` (relative to /api/v1/). `settings` gives port and token; `auth: false` sends no token.
 * Resolves to `{body, version}`; rejects with DaemonError.
 */
export async function call(settings, path, { method = 'GET', body, auth = true, timeoutMs = TIMEOUT_MS } = {}) {
  const headers = { Accept: 'application/json' };
  if (auth) {
    if (!settings.token) throw new DaemonError('unpaired', 'This browser is not paired with papertray yet.');
    headers.Authorization = `Bearer ${settings.token}`;
  }
  const init = { method, headers, signal: AbortSignal.timeout(timeoutMs), credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(new URL(path, baseUrl(settings.port)), init);
  } catch {
    throw new DaemonError('offline', `papertray is not running (nothing answers on port ${settings.port}).`);
  }
  const version = response.headers.get('X-Papertray-Version');
  if (!version) {
    throw new DaemonError('foreign', `Another program answers on port ${settings.port}; it is not papertray.`);
  }
  const apiVersion = response.headers.get('X-Papertray-API-Version');
  if (apiVersion !== API_VERSION || response.status === 412) {
    throw new DaemonError(
      'incompatible',
      `papertray ${version} speaks API version ${apiVersion}; this extension needs version ${API_VERSION}.`,
      response.status,
    );
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const sentence = payload && typeof payload.error === 'string' ? payload.error : `papertray answered ${response.status}.`;
    const kind = response.status === 401 ? 'unauthorized' : 'http';
    throw new DaemonError(kind, sentence, response.status);
  }
  return { body: payload, version };
}

/**
 * The path of one paper. Callers pass checked canonical ids (`2307.12345`, `hep-th/9901001`): only letters,
 * digits, dots, hyphens and one slash, which the daemon's route takes as is.
 */
export function paperPath(id) {
  return `papers/${id}`;
}
