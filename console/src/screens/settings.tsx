import { useState } from "preact/hooks";
import { api, can, Me } from "../api";
import { Badge, Field, Link, ProblemBanner, useAction, useApi, View } from "../ui";

const sections = [
  { id: "members", label: "Members and roles", action: "members.list" },
  { id: "platforms", label: "Platforms", action: "platforms.list" },
  { id: "security-policies", label: "Security policies", action: "securityPolicies.list" },
  { id: "governance-policies", label: "Governance policies", action: "governancePolicies.list" },
  { id: "role-templates", label: "Role templates", action: "roleTemplates.list" },
  { id: "access-requests", label: "Access requests", action: "settings.get" },
  { id: "integrations", label: "Integrations", action: "webhooks.list" },
];

export function Settings(props: { me: Me; section: string }) {
  const visible = sections.filter((s) => can(props.me, s.action));
  const section = visible.find((s) => s.id === props.section) ?? visible[0];
  return (
    <section aria-labelledby="set-h" class="split">
      <h1 id="set-h">Settings</h1>
      <nav class="side" aria-label="Settings sections">
        {visible.map((s) => (
          <Link href={"/settings/" + s.id} current={s === section}>
            {s.label}
          </Link>
        ))}
      </nav>
      <div>
        {section?.id === "members" && <Members me={props.me} />}
        {section?.id === "platforms" && <List path="/v1/platforms" cols={["name", "kind", "status"]} />}
        {section?.id === "security-policies" && <List path="/v1/security-policies" cols={["name"]} />}
        {section?.id === "governance-policies" && <List path="/v1/governance-policies" cols={["name"]} />}
        {section?.id === "role-templates" && <List path="/v1/role-templates" cols={["name", "platformKind", "identityType"]} />}
        {section?.id === "access-requests" && <Expiry me={props.me} />}
        {section?.id === "integrations" && <Integrations me={props.me} />}
      </div>
    </section>
  );
}

function List(props: { path: string; cols: string[] }) {
  const list = useApi<{ items: any[] }>(props.path);
  return (
    <View loaded={list} empty={(d) => d.items.length === 0}>
      {(d) => (
        <table>
          <thead>
            <tr>
              {props.cols.map((c) => (
                <th scope="col">{c}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {d.items.map((x) => (
              <tr>
                {props.cols.map((c) => (
                  <td>{c === "status" ? <Badge value={String(x[c])} /> : String(x[c] ?? "")}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </View>
  );
}

function Members(props: { me: Me }) {
  const list = useApi<{ items: any[] }>("/v1/members?limit=100");
  const [f, setF] = useState({ email: "", name: "", role: "member" });
  const act = useAction();
  const errs = act.error?.fieldErrors() ?? {};
  return (
    <div>
      <View loaded={list}>
        {(d) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((m) => (
                <tr>
                  <td>{m.name}</td>
                  <td>{m.email}</td>
                  <td>{m.role.replace(/_/g, " ")}</td>
                  <td>
                    <Badge value={m.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </View>
      {can(props.me, "members.create") && (
        <form noValidate
          onSubmit={(e) => {
            e.preventDefault();
            act.run(async () => (await api("POST", "/v1/members", f), list.reload(), setF({ email: "", name: "", role: "member" })));
          }}
        >
          <h2>Invite a member</h2>
          <Field label="Email" name="email" type="email" required value={f.email} onInput={(v) => setF({ ...f, email: v })} error={errs.email} />
          <Field label="Name" name="name" required value={f.name} onInput={(v) => setF({ ...f, name: v })} error={errs.name} />
          <Field
            label="Role"
            name="role"
            value={f.role}
            onInput={(v) => setF({ ...f, role: v })}
            error={errs.role}
            options={["agency_owner", "admin", "client_manager", "member", "auditor"].map((r) => ({ value: r, label: r.replace(/_/g, " ") }))}
          />
          <ProblemBanner error={act.error} />
          <button class="primary" type="submit" disabled={act.busy}>
            Invite
          </button>
        </form>
      )}
    </div>
  );
}

function Expiry(props: { me: Me }) {
  const s = useApi<any>("/v1/settings");
  const [minutes, setMinutes] = useState<string>();
  const act = useAction();
  return (
    <View loaded={s}>
      {(d) => (
        <form noValidate
          onSubmit={(e) => {
            e.preventDefault();
            act.run(async () => (await api("PATCH", "/v1/settings", { accessRequestExpiryMinutes: Number(minutes ?? d.accessRequestExpiryMinutes) }, s.etag), s.reload()));
          }}
        >
          <h2>Access requests</h2>
          <Field
            label="Pending requests expire after (minutes)"
            name="accessRequestExpiryMinutes"
            type="number"
            value={minutes ?? String(d.accessRequestExpiryMinutes)}
            onInput={setMinutes}
            error={act.error?.fieldErrors().accessRequestExpiryMinutes}
          />
          <ProblemBanner error={act.error} />
          {can(props.me, "settings.update") && (
            <button class="primary" type="submit" disabled={act.busy}>
              Save
            </button>
          )}
        </form>
      )}
    </View>
  );
}

// Integrations: what is connected (connecting is in the README's steps: it
// involves the identity provider's and Slack's own consoles).
function Integrations(props: { me: Me }) {
  const slack = useApi<any>(can(props.me, "slack.get") ? "/v1/integrations/slack" : null);
  const scim = useApi<any>(can(props.me, "scim.get") ? "/v1/scim" : null);
  return (
    <div>
      <h2>Webhooks</h2>
      <List path="/v1/webhooks" cols={["url", "eventTypes", "status"]} />
      <h2>Slack</h2>
      <View loaded={slack}>
        {(d) => <p>{d.connected ? `Connected to ${d.teamName} (${d.teamId}). Interactivity Request URL: ${d.interactionsPath}` : "Not connected."}</p>}
      </View>
      {can(props.me, "scim.get") && (
        <>
          <h2>Identity provider (SCIM)</h2>
          <View loaded={scim}>
            {(d) => (
              <p>
                {d.enabled ? `Token …${d.tokenHint}, issued ${new Date(d.tokenIssuedAt).toLocaleString()}.` : "No token issued."} Group mapping:{" "}
                {Object.entries(d.groupRoles ?? {}).map(([g, r]) => `${g} → ${r}`).join(", ") || "none"}
              </p>
            )}
          </View>
        </>
      )}
    </div>
  );
}
