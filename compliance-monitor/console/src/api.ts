import { problemInWords } from './plain-words.js';

/** The monitor's error body: `{ error: { code, field, rule, message } }`. */
export interface ApiProblem {
  code: string;
  field: string | null;
  rule: string | null;
  message: string;
}

/** A refused request, with the monitor's reason and a sentence an officer can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: ApiProblem,
  ) {
    super(problemInWords(status, problem));
    this.name = 'ApiError';
  }
}

const KEY_STORAGE = 'zkkyc-monitor-officer-key';

/**
 * Talks to the monitor that served the page (same origin), with the officer's key in `x-api-key`.
 * The key is kept in sessionStorage: it lasts for this tab, and is gone when the tab closes.
 */
export class MonitorApi {
  constructor(private readonly base = '') {}

  get key(): string | null {
    return sessionStorage.getItem(KEY_STORAGE);
  }

  set key(value: string | null) {
    if (value === null) sessionStorage.removeItem(KEY_STORAGE);
    else sessionStorage.setItem(KEY_STORAGE, value);
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  /** A download (SAR XML or HTML) as a blob URL the page can link to. */
  async blobUrl(path: string): Promise<string> {
    const res = await this.fetch('GET', path);
    return URL.createObjectURL(await res.blob());
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(method, path, body);
    return (await res.json()) as T;
  }

  private async fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { 'x-api-key': this.key ?? '' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, { code: 'unreachable', field: null, rule: null, message: 'the monitor did not answer' });
    }
    if (res.ok) return res;
    let problem: ApiProblem = { code: 'http_' + res.status, field: null, rule: null, message: res.statusText };
    try {
      const parsed = (await res.json()) as { error?: ApiProblem };
      if (parsed.error) problem = parsed.error;
    } catch {
      // Not the monitor's JSON (a proxy's page): keep the status.
    }
    throw new ApiError(res.status, problem);
  }
}
