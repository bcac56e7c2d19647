// The console is a client of the public API and nothing else. Tokens live in
// memory only (never localStorage): a reload signs in again.

export type FieldError = { field: string; code: string; message: string };
export type Problem = {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  errors?: FieldError[];
  current?: unknown;
};

export class ApiError extends Error {
  constructor(public problem: Problem) {
    super(problem.detail || problem.title);
  }
  // The message a person reads: optimistic-lock conflicts get the usual words.
  get friendly(): string {
    const p = this.problem;
    if (p.code === "version_conflict" || p.code === "precondition_failed") {
      return "Changed by someone else — reload to see the current version.";
    }
    return p.detail || p.title;
  }
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.problem.errors ?? []) out[e.field] = e.message;
    return out;
  }
}

let token: string | null = null;
const listeners = new Set<() => void>();

export function setToken(t: string | null) {
  token = t;
  listeners.forEach((l) => l());
}
export function getToken() {
  return token;
}
export function onTokenChange(l: () => void) {
  listeners.add(l);
  return () => listeners.delete(l);
}

export type Reply<T> = { data: T; etag?: string };

export async function api<T = any>(method: string, path: string, body?: unknown, ifMatch?: string): Promise<Reply<T>> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (ifMatch) headers["If-Match"] = ifMatch;
  if (method === "POST" && path.match(/^\/v1\/(clients|members|platforms|webhooks)$/)) {
    headers["Idempotency-Key"] = crypto.randomUUID();
  }
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError({ type: "about:blank", title: "Network error", status: 0, detail: "The API did not answer. Check your connection and try again.", code: "network" });
  }
  if (res.status === 204) return { data: undefined as T };
  const text = await res.text();
  const data = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    if (res.status === 401) setToken(null);
    throw new ApiError(data && data.code ? data : { type: "about:blank", title: res.statusText, status: res.status, detail: res.statusText, code: "http_" + res.status });
  }
  return { data, etag: res.headers.get("ETag") ?? undefined };
}

export type Me = {
  agencyId: string;
  agencyName: string;
  memberId: string;
  email: string;
  name: string;
  role: string;
  clientId?: string;
  actions: string[];
};

export const can = (me: Me | null, action: string) => !!me && me.actions.includes(action);

// Times as people read them: relative, with the absolute time in the viewer's
// timezone on hover (and for screen readers, in the title).
export function relTime(iso?: string): string {
  if (!iso) return "";
  const t = new Date(iso).getTime();
  const d = (t - Date.now()) / 1000;
  const abs = Math.abs(d);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  if (abs < 60) return rtf.format(Math.round(d), "second");
  if (abs < 3600) return rtf.format(Math.round(d / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(d / 3600), "hour");
  return rtf.format(Math.round(d / 86400), "day");
}
// absTime is the absolute time in a timezone (a client's, on its screens), else the viewer's.
export function absTime(iso?: string, timeZone?: string): string {
  if (!iso) return "";
  try {
    return new Date(iso).toLocaleString(undefined, { timeZone, timeZoneName: "short" });
  } catch {
    return new Date(iso).toLocaleString();
  }
}
