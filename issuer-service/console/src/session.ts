import { ApiError, IssuerApi, type Reviewer } from './api.js';
import { announce, byId } from './dom.js';

/** What every view gets: the API with the reviewer's key, who the key is, and how to report a result. */
export interface Session {
  api: IssuerApi;
  reviewer: Reviewer;
  has(...roles: string[]): boolean;
  /** Shows an action's result above the view (announced, focused) — it survives the view's re-render. */
  report(text: string, tone: 'ok' | 'error' | 'info'): void;
  /** Renders the current view again (after a decision changed what it shows). */
  refresh(): Promise<void>;
}

export function newSession(api: IssuerApi, reviewer: Reviewer, refresh: () => Promise<void>): Session {
  return {
    api,
    reviewer,
    has: (...roles) => roles.some((r) => reviewer.roles.includes(r)),
    report: (text, tone) => void announce(byId('status'), text, tone),
    refresh,
  };
}

/** Words for anything a request threw. */
export const errorText = (err: unknown): string => (err instanceof ApiError ? err.message : String(err));
