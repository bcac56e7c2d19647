// Sign-in: OpenID Connect authorization code with PKCE against the configured
// issuer (the stack's Cognito user pool or an external IdP), or, under `make run`,
// the development sign-in that lists the seeded users. The ID token is kept in
// memory; only the PKCE verifier and state wait in sessionStorage across the
// redirect.
import { setToken } from "./api";

export type ConsoleConfig = {
  issuer: string;
  clientId: string;
  redirectUri?: string;
  scope?: string;
  devSignIn?: boolean;
};

export async function loadConfig(): Promise<ConsoleConfig> {
  const res = await fetch("/console-config.json");
  if (!res.ok) throw new Error("console-config.json is missing");
  return res.json();
}

function b64url(bytes: ArrayBuffer | Uint8Array): string {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = "";
  b.forEach((x) => (s += String.fromCharCode(x)));
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function discovery(issuer: string) {
  const res = await fetch(issuer.replace(/\/$/, "") + "/.well-known/openid-configuration");
  if (!res.ok) throw new Error("the issuer's discovery document did not load");
  return res.json() as Promise<{ authorization_endpoint: string; token_endpoint: string }>;
}

export async function startSignIn(cfg: ConsoleConfig, returnTo: string) {
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  const state = b64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem("accesshive.pkce", JSON.stringify({ verifier, state, returnTo }));
  const d = await discovery(cfg.issuer);
  const u = new URL(d.authorization_endpoint);
  u.searchParams.set("response_type", "code");
  u.searchParams.set("client_id", cfg.clientId);
  u.searchParams.set("redirect_uri", cfg.redirectUri ?? location.origin + "/callback");
  u.searchParams.set("scope", cfg.scope ?? "openid email profile");
  u.searchParams.set("code_challenge", challenge);
  u.searchParams.set("code_challenge_method", "S256");
  u.searchParams.set("state", state);
  location.assign(u.toString());
}

// finishSignIn exchanges the callback's code for tokens; it answers where to go.
export async function finishSignIn(cfg: ConsoleConfig): Promise<string> {
  const q = new URLSearchParams(location.search);
  const saved = JSON.parse(sessionStorage.getItem("accesshive.pkce") ?? "{}");
  sessionStorage.removeItem("accesshive.pkce");
  if (q.get("error")) throw new Error(q.get("error_description") ?? q.get("error")!);
  if (!q.get("code") || q.get("state") !== saved.state) throw new Error("the sign-in response does not match this browser's request; sign in again");
  const d = await discovery(cfg.issuer);
  const res = await fetch(d.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: q.get("code")!,
      redirect_uri: cfg.redirectUri ?? location.origin + "/callback",
      client_id: cfg.clientId,
      code_verifier: saved.verifier,
    }),
  });
  if (!res.ok) throw new Error("the issuer refused the sign-in code");
  const tok = await res.json();
  // The API wants the ID token: it carries email and email_verified.
  setToken(tok.id_token);
  return saved.returnTo || "/";
}

export type DevUser = { handle: string; name: string; email: string; role: string };

export async function devUsers(): Promise<DevUser[]> {
  const res = await fetch("/local/dev-users");
  return res.ok ? res.json() : [];
}

export async function devSignIn(handle: string) {
  const res = await fetch("/local/dev-token", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ handle }) });
  if (!res.ok) throw new Error("the local issuer refused");
  setToken((await res.json()).token);
}
