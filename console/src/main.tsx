import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, can, getToken, Me, onTokenChange, setToken } from "./api";
import { ConsoleConfig, devSignIn, devUsers, DevUser, finishSignIn, loadConfig, startSignIn } from "./auth";
import { Link, navigate, ProblemBanner, usePath, Loading } from "./ui";
import { ClientsList } from "./screens/clients";
import { NewClient } from "./screens/newclient";
import { ClientDetail } from "./screens/client";
import { Offboarding } from "./screens/offboarding";
import { Settings } from "./screens/settings";
import { MyAccess, Notifications } from "./screens/clientuser";
import "./styles.css";

function SignIn(props: { cfg?: ConsoleConfig; error?: string }) {
  const [users, setUsers] = useState<DevUser[]>([]);
  const [err, setErr] = useState(props.error);
  useEffect(() => {
    if (props.cfg?.devSignIn) devUsers().then(setUsers);
  }, [props.cfg]);
  return (
    <main id="main" class="signin" tabIndex={-1}>
      <h1>AccessHive</h1>
      <p>Who can get into which platform, who asked, who approved — and a trail of all of it.</p>
      {err && <div class="problem" role="alert">{err}</div>}
      {props.cfg && (
        <button class="primary" onClick={() => startSignIn(props.cfg!, location.pathname).catch((e) => setErr(String(e.message ?? e)))}>
          Sign in
        </button>
      )}
      {props.cfg?.devSignIn && (
        <section aria-labelledby="dev-h">
          <h2 id="dev-h">Development sign-in</h2>
          <p class="muted">Or, under make run, take a seeded user's token from the local issuer at once.</p>
          <ul class="dev-users">
            {users.map((u) => (
              <li>
                <button onClick={() => devSignIn(u.handle).catch((e) => setErr(String(e.message ?? e)))} data-handle={u.handle}>
                  {u.name} <span class="muted">— {u.role.replace(/_/g, " ")}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}

function Shell(props: { me: Me; children: preact.ComponentChildren; path: string }) {
  const { me, path } = props;
  const clientUser = me.role === "client_user";
  const nav = clientUser
    ? [
        { href: "/my", label: "My access" },
        { href: "/notifications", label: "Notifications" },
      ]
    : [
        { href: "/clients", label: "Clients" },
        ...(can(me, "settings.get") || can(me, "platforms.list") ? [{ href: "/settings", label: "Settings" }] : []),
        { href: "/notifications", label: "Notifications" },
      ];
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">AccessHive</span>
        <nav aria-label="Main">
          {nav.map((n) => (
            <Link href={n.href} current={path.startsWith(n.href)}>
              {n.label}
            </Link>
          ))}
        </nav>
        <span class="who">
          {me.name} · {me.agencyName} · <span class="role">{me.role.replace(/_/g, " ")}</span>
          <button class="link" onClick={() => setToken(null)}>
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </>
  );
}

function Routes(props: { me: Me; path: string }) {
  const { me } = props;
  const path = props.path.split("?")[0];
  let m: RegExpMatchArray | null;
  if (path === "/" || path === "/callback") {
    navigate(me.role === "client_user" ? "/my" : "/clients");
    return null;
  }
  if (path === "/clients") return <ClientsList me={me} />;
  if (path === "/clients/new") return <NewClient me={me} />;
  if ((m = path.match(/^\/clients\/([^/]+)\/offboarding$/))) return <Offboarding me={me} clientId={m[1]} />;
  if ((m = path.match(/^\/clients\/([^/]+)(?:\/([a-z-]+))?$/))) return <ClientDetail me={me} clientId={m[1]} tab={m[2] ?? "requests"} />;
  if ((m = path.match(/^\/settings(?:\/([a-z-]+))?$/))) return <Settings me={me} section={m[1] ?? "members"} />;
  if (path === "/my") return <MyAccess me={me} />;
  if (path === "/notifications") return <Notifications />;
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is no page at {path}. <Link href="/">Go to the start</Link>.
      </p>
    </section>
  );
}

function App() {
  const path = usePath();
  const [cfg, setCfg] = useState<ConsoleConfig>();
  const [me, setMe] = useState<Me | null>(null);
  const [err, setErr] = useState<string>();
  const [, force] = useState(0);
  useEffect(() => onTokenChange(() => force((x) => x + 1)), []);
  useEffect(() => {
    loadConfig()
      .then(async (c) => {
        setCfg(c);
        if (location.pathname === "/callback") navigate(await finishSignIn(c));
      })
      .catch((e) => setErr(String(e.message ?? e)));
  }, []);
  const token = getToken();
  useEffect(() => {
    if (!token) return setMe(null);
    api<Me>("GET", "/v1/me")
      .then((r) => setMe(r.data))
      .catch((e) => {
        setErr(e.friendly ?? String(e));
        setToken(null);
      });
  }, [token]);
  useEffect(() => {
    document.title = "AccessHive" + (me ? " — " + me.agencyName : "");
  }, [me]);
  if (!token) return <SignIn cfg={cfg} error={err} />;
  if (!me) return err ? <ProblemBanner error={err} /> : <Loading />;
  return (
    <Shell me={me} path={path}>
      <Routes me={me} path={path} />
    </Shell>
  );
}

render(<App />, document.getElementById("app")!);
