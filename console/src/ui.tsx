// Small building blocks: the router (deep links, back and forward), data
// loading with loading/empty/error states, problem banners, fields.
import { createContext, type ComponentChildren } from "preact";
import { useContext, useEffect, useState, useCallback } from "preact/hooks";
import { api, ApiError, absTime, relTime } from "./api";

let pathListeners = new Set<() => void>();
export function navigate(to: string) {
  history.pushState(null, "", to);
  pathListeners.forEach((l) => l());
  document.getElementById("main")?.focus();
}
window.addEventListener("popstate", () => pathListeners.forEach((l) => l()));
export function usePath(): string {
  const [p, setP] = useState(location.pathname + location.search);
  useEffect(() => {
    const l = () => setP(location.pathname + location.search);
    pathListeners.add(l);
    return () => {
      pathListeners.delete(l);
    };
  }, []);
  return p;
}

export function Link(props: { href: string; children: ComponentChildren; class?: string; current?: boolean }) {
  return (
    <a
      href={props.href}
      class={props.class}
      aria-current={props.current ? "page" : undefined}
      onClick={(e) => {
        if (e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(props.href);
      }}
    >
      {props.children}
    </a>
  );
}

export type Loaded<T> = { data?: T; error?: ApiError; loading: boolean; reload: () => void; etag?: string };

export function useApi<T = any>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiError; loading: boolean; etag?: string }>({ loading: !!path });
  const [n, setN] = useState(0);
  const reload = useCallback(() => setN((x) => x + 1), []);
  useEffect(() => {
    if (!path) return;
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    api<T>("GET", path)
      .then((r) => live && setState({ data: r.data, etag: r.etag, loading: false }))
      .catch((e) => live && setState({ error: e instanceof ApiError ? e : undefined, loading: false }));
    return () => {
      live = false;
    };
  }, [path, n]);
  return { ...state, reload };
}

export function Loading() {
  return (
    <p class="muted" role="status" aria-live="polite">
      Loading…
    </p>
  );
}

export function ProblemBanner(props: { error?: unknown }) {
  if (!props.error) return null;
  const msg = props.error instanceof ApiError ? props.error.friendly : String(props.error);
  const code = props.error instanceof ApiError ? props.error.problem.code : "";
  return (
    <div class="problem" role="alert">
      <strong>{msg}</strong>
      {code && <span class="code"> ({code})</span>}
    </div>
  );
}

export function View<T>(props: { loaded: Loaded<T>; empty?: (d: T) => boolean; emptyText?: string; children: (d: T) => ComponentChildren }) {
  const { loaded } = props;
  if (loaded.loading && !loaded.data) return <Loading />;
  if (loaded.error) return <ProblemBanner error={loaded.error} />;
  if (!loaded.data) return null;
  if (props.empty && props.empty(loaded.data)) return <p class="empty">{props.emptyText ?? "Nothing here yet."}</p>;
  return <>{props.children(loaded.data)}</>;
}

// TimeZone is the timezone absolute times are shown in: a client's screens
// provide the client's; elsewhere the viewer's own.
export const TimeZone = createContext<string | undefined>(undefined);

export function Time(props: { at?: string; absolute?: boolean }) {
  const tz = useContext(TimeZone);
  if (!props.at) return null;
  return (
    <>
      <time dateTime={props.at} title={absTime(props.at, tz)}>
        {relTime(props.at)}
      </time>
      {props.absolute && <span class="muted"> · {absTime(props.at, tz)}</span>}
    </>
  );
}

export function Badge(props: { value: string }) {
  return <span class={"badge badge-" + props.value.replace(/_/g, "-")}>{props.value.replace(/_/g, " ")}</span>;
}

let fieldSeq = 0;
export function Field(props: {
  label: string;
  name: string;
  value: string;
  onInput: (v: string) => void;
  error?: string;
  type?: string;
  required?: boolean;
  options?: { value: string; label: string }[];
  multiline?: boolean;
  hint?: string;
}) {
  const [id] = useState(() => "f" + ++fieldSeq);
  const errId = id + "-err";
  const common = {
    id,
    name: props.name,
    value: props.value,
    required: props.required,
    "aria-invalid": props.error ? true : undefined,
    "aria-describedby": props.error ? errId : undefined,
  };
  return (
    <div class="field">
      <label for={id}>
        {props.label}
        {props.required && <span aria-hidden="true"> *</span>}
      </label>
      {props.options ? (
        <select {...common} onChange={(e) => props.onInput((e.target as HTMLSelectElement).value)}>
          {props.options.map((o) => (
            <option value={o.value}>{o.label}</option>
          ))}
        </select>
      ) : props.multiline ? (
        <textarea {...common} onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)} />
      ) : (
        <input {...common} type={props.type ?? "text"} onInput={(e) => props.onInput((e.target as HTMLInputElement).value)} />
      )}
      {props.hint && <p class="hint">{props.hint}</p>}
      {props.error && (
        <p class="field-error" id={errId}>
          {props.error}
        </p>
      )}
    </div>
  );
}

// useAction runs a change and keeps its error to show.
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const run = async <T,>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await fn();
    } catch (e) {
      setError(e instanceof ApiError ? e : undefined);
      if (!(e instanceof ApiError)) throw e;
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run, setError };
}
