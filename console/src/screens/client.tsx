import { useState } from "preact/hooks";
import { api, can, Me } from "../api";
import { Badge, Field, Link, ProblemBanner, Time, TimeZone, useAction, useApi, usePath, View } from "../ui";

const tabs = [
  { id: "requests", label: "Access Requests" },
  { id: "platforms", label: "Platforms" },
  { id: "governance", label: "Governance" },
  { id: "access", label: "Effective Access" },
  { id: "identities", label: "Identities" },
  { id: "activity", label: "Activity" },
];

export function ClientDetail(props: { me: Me; clientId: string; tab: string }) {
  const { me, clientId, tab } = props;
  const client = useApi<any>("/v1/clients/" + clientId);
  const base = "/clients/" + clientId;
  return (
    <View loaded={client}>
      {(c) => (
        <TimeZone.Provider value={c.timezone}>
        <section aria-labelledby="client-h">
          <div class="heading">
            <h1 id="client-h">{c.name}</h1>
            <Badge value={c.status} />
            {can(me, "clients.offboarding.get") && c.lifecycle !== "archived" && (
              <details class="menu">
                <summary>Actions</summary>
                <Link href={base + "/offboarding"}>Offboard</Link>
              </details>
            )}
          </div>
          <p class="muted">
            {c.industry} · {c.region} · {c.timezone}
          </p>
          <nav class="tabs" aria-label="Client sections">
            {tabs.map((t) => (
              <Link href={base + "/" + t.id} current={t.id === tab}>
                {t.label}
              </Link>
            ))}
          </nav>
          {tab === "requests" && <Requests me={me} clientId={clientId} />}
          {tab === "platforms" && <Platforms me={me} clientId={clientId} reload={client.reload} />}
          {tab === "governance" && <Governance clientId={clientId} />}
          {tab === "access" && <EffectiveAccess me={me} clientId={clientId} />}
          {tab === "identities" && <Identities me={me} clientId={clientId} />}
          {tab === "activity" && <Activity clientId={clientId} />}
        </section>
        </TimeZone.Provider>
      )}
    </View>
  );
}

const statuses = ["pending", "approved", "provisioned", "rejected", "expired", "cancelled"];

function Requests(props: { me: Me; clientId: string }) {
  const path = usePath();
  const status = new URLSearchParams(path.split("?")[1] ?? "").get("status") ?? "pending";
  const list = useApi<{ items: any[] }>(`/v1/clients/${props.clientId}/access-requests?status=${status}`);
  const base = `/clients/${props.clientId}/requests`;
  return (
    <div>
      <nav class="filters" aria-label="Filter by status">
        {statuses.map((s) => (
          <Link href={base + "?status=" + s} current={s === status}>
            {s}
          </Link>
        ))}
      </nav>
      <View loaded={list} empty={(d) => d.items.length === 0} emptyText={`No ${status} requests.`}>
        {(d) => (
          <ul class="cards">
            {d.items.map((r) => (
              <RequestCard me={props.me} clientId={props.clientId} r={r} onChange={list.reload} />
            ))}
          </ul>
        )}
      </View>
    </div>
  );
}

function RequestCard(props: { me: Me; clientId: string; r: any; onChange: () => void }) {
  const { r } = props;
  const [reason, setReason] = useState("");
  const act = useAction();
  const decide = (what: "approve" | "reject") =>
    act.run(async () => {
      await api("POST", `/v1/clients/${props.clientId}/access-requests/${r.id}/${what}`, { reason });
      props.onChange();
    });
  const reasonId = "reason-" + r.id;
  return (
    <li class="card" data-request={r.id}>
      <div>
        <strong>{r.requesterName}</strong> asks for <strong>{r.identityType}</strong> access · <Badge value={r.status} />
      </div>
      <p>{r.justification}</p>
      <p class="muted">
        Submitted <Time at={r.createdAt} />
        {r.approvals?.length ? ` · approved by ${r.approvals.map((a: any) => a.byName || a.by).join(", ")}` : ""}
        {r.reason ? ` · ${r.reason}` : ""}
      </p>
      {r.status === "pending" && can(props.me, "clients.requests.approve") && (
        <div class="decide">
          <label for={reasonId}>Reason</label>
          <input id={reasonId} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
          <button class="primary" disabled={act.busy} onClick={() => decide("approve")}>
            Approve
          </button>
          <button class="danger" disabled={act.busy} onClick={() => decide("reject")}>
            Reject
          </button>
        </div>
      )}
      <ProblemBanner error={act.error} />
    </li>
  );
}

function Platforms(props: { me: Me; clientId: string; reload: () => void }) {
  const list = useApi<{ items: any[] }>(`/v1/clients/${props.clientId}/platforms`);
  const all = useApi<{ items: any[] }>(can(props.me, "platforms.list") ? "/v1/platforms" : null);
  const [pick, setPick] = useState("");
  const act = useAction();
  const add = () =>
    act.run(async () => {
      await api("PUT", `/v1/clients/${props.clientId}/platforms/${pick}`);
      list.reload();
      props.reload();
    });
  return (
    <div>
      <View loaded={list} empty={(d) => d.items.length === 0} emptyText="No platforms yet.">
        {(d) => (
          <table>
            <caption class="sr-only">Platforms of this client</caption>
            <thead>
              <tr>
                <th scope="col">Platform</th>
                <th scope="col">Connection</th>
                <th scope="col">Provisioning</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((p) => (
                <tr>
                  <td>{p.name ?? p.platformId}</td>
                  <td>{p.platformStatus && <Badge value={p.platformStatus} />}</td>
                  <td>
                    {p.provisioningStatus ? <Badge value={p.provisioningStatus} /> : "—"}
                    {p.pendingRequests ? <span class="muted"> · {p.pendingRequests} pending</span> : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </View>
      {can(props.me, "clients.platforms.put") && all.data && (
        <div class="decide">
          <label for="add-platform">Add a platform</label>
          <select id="add-platform" value={pick} onChange={(e) => setPick((e.target as HTMLSelectElement).value)}>
            <option value="">Choose…</option>
            {all.data.items.map((p) => (
              <option value={p.id}>
                {p.name} ({p.status})
              </option>
            ))}
          </select>
          <button class="primary" disabled={!pick || act.busy} onClick={add}>
            Add platform
          </button>
        </div>
      )}
      <ProblemBanner error={act.error} />
    </div>
  );
}

function Governance(props: { clientId: string }) {
  const g = useApi<any>(`/v1/clients/${props.clientId}/governance`);
  return (
    <View loaded={g}>
      {(d) => (
        <dl class="facts">
          <dt>Policies</dt>
          <dd>{d.policyAssignments?.length ? d.policyAssignments.map((a: any) => `${a.policyId} (${a.scope})`).join(", ") : "The agency default rules"}</dd>
          <dt>Client owners</dt>
          <dd>{d.clientOwners?.length ? d.clientOwners.join(", ") : "None"}</dd>
          <dt>Access reviews</dt>
          <dd>{d.compliance?.accessReviewEveryDays ? `Every ${d.compliance.accessReviewEveryDays} days` : "Not scheduled"}</dd>
        </dl>
      )}
    </View>
  );
}

function EffectiveAccess(props: { me: Me; clientId: string }) {
  const ea = useApi<any>(`/v1/clients/${props.clientId}/effective-access`);
  // Names for member ids, where the caller may list members; ids otherwise.
  const members = useApi<{ items: any[] }>(can(props.me, "members.list") ? "/v1/members?limit=100" : null);
  const nameOf = (id: string) => members.data?.items.find((m) => m.id === id)?.name ?? id;
  const [open, setOpen] = useState<string>();
  return (
    <View loaded={ea} empty={(d) => d.cells.length === 0} emptyText="Nobody has access yet.">
      {(d) => {
        const principals = [...new Set<string>(d.cells.map((c: any) => c.principalId))];
        return (
          <table class="matrix">
            <caption class="sr-only">Who has access to which platform, and why</caption>
            <thead>
              <tr>
                <th scope="col">Who</th>
                {d.platforms.map((p: any) => (
                  <th scope="col">{p.name ?? p.platformId}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {principals.map((who) => (
                <tr>
                  <th scope="row">{nameOf(who)}</th>
                  {d.platforms.map((p: any) => {
                    const cell = d.cells.find((c: any) => c.principalId === who && c.platformId === p.platformId);
                    if (!cell) return <td>—</td>;
                    const key = who + p.platformId;
                    return (
                      <td>
                        <button class="cell" aria-expanded={open === key} onClick={() => setOpen(open === key ? undefined : key)}>
                          {cell.access.replace(/_/g, " ")}
                        </button>
                        {open === key && (
                          <ul class="derivation">
                            {cell.derivation.map((x: any) => (
                              <li>
                                {x.source.replace(/_/g, " ")}
                                {x.detail ? ": " + x.detail : ""}
                              </li>
                            ))}
                          </ul>
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        );
      }}
    </View>
  );
}

function Identities(props: { me: Me; clientId: string }) {
  const list = useApi<{ items: any[] }>(`/v1/clients/${props.clientId}/identities`);
  return (
    <View loaded={list} empty={(d) => d.items.length === 0} emptyText="No identities yet: they are created when access is approved.">
      {(d) => (
        <ul class="cards">
          {d.items.map((i) => (
            <IdentityCard me={props.me} clientId={props.clientId} i={i} onChange={list.reload} />
          ))}
        </ul>
      )}
    </View>
  );
}

function IdentityCard(props: { me: Me; clientId: string; i: any; onChange: () => void }) {
  const { i } = props;
  const act = useAction();
  const [secret, setSecret] = useState<any>();
  const base = `/v1/clients/${props.clientId}/identities/${i.id}`;
  return (
    <li class="card" data-identity={i.id}>
      <div>
        <strong>{i.displayName ?? i.username ?? i.id}</strong> · {i.type} · <Badge value={i.status} />
      </div>
      {i.provisioning?.steps && (
        <ol class="provisioning" aria-label="Provisioning steps">
          {i.provisioning.steps.map((s: any) => (
            <li>
              {s.name.replace(/_/g, " ")}: <Badge value={s.status} />
              {s.error ? <span class="field-error"> {s.error}</span> : null}
            </li>
          ))}
        </ol>
      )}
      <div class="actions">
        {can(props.me, "clients.identities.retry") && (i.status === "failed" || i.status === "provisioning") && (
          <button onClick={() => act.run(async () => (await api("POST", base + "/retry-provisioning"), props.onChange()))}>Retry Provisioning</button>
        )}
        {can(props.me, "clients.credentials.reveal") && i.status === "active" && (
          <button onClick={() => act.run(async () => setSecret((await api("POST", base + "/credentials/reveal")).data))}>Reveal credential</button>
        )}
        {can(props.me, "clients.credentials.rotate") && i.status === "active" && i.type === "managed" && (
          <button onClick={() => act.run(async () => (await api("POST", base + "/credentials/rotate"), props.onChange()))}>Rotate</button>
        )}
      </div>
      {can(props.me, "clients.credentials.replace") && i.type === "standard" && i.status !== "deactivated" && (
        <CredentialForm
          onSave={(username, password) => act.run(async () => (await api("PUT", base + "/credentials", { username, password }), props.onChange()))}
          errors={act.error?.fieldErrors() ?? {}}
        />
      )}
      {secret && (
        <div class="secret" role="dialog" aria-label="Credential">
          <p>
            Username <code>{secret.username}</code> · password <code data-secret>{secret.password}</code>
          </p>
          <p class="muted">This reveal is recorded on the identity and in Activity.</p>
          <button onClick={() => setSecret(undefined)}>Hide</button>
        </div>
      )}
      <ProblemBanner error={act.error} />
    </li>
  );
}

function Activity(props: { clientId: string }) {
  const list = useApi<{ items: any[] }>(`/v1/clients/${props.clientId}/activity?limit=50`);
  return (
    <View loaded={list} empty={(d) => d.items.length === 0} emptyText="No activity yet.">
      {(d) => (
        <table>
          <caption class="sr-only">Activity, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col">Who</th>
              <th scope="col">Entity</th>
            </tr>
          </thead>
          <tbody>
            {d.items.map((e) => (
              <tr>
                <td>
                  <Time at={e.at} absolute />
                </td>
                <td>{e.action}</td>
                <td>{e.actorId}</td>
                <td>
                  {e.entityType} {e.entityId}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </View>
  );
}

// A standard identity's credential is the agency's to supply (the client's
// security policy judges it).
function CredentialForm(props: { onSave: (u: string, p: string) => void; errors: Record<string, string> }) {
  const [u, setU] = useState("");
  const [p, setP] = useState("");
  return (
    <details>
      <summary>Update credentials</summary>
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          props.onSave(u, p);
        }}
      >
        <Field label="Username" name="username" value={u} onInput={setU} error={props.errors.username} />
        <Field label="Password" name="password" type="password" value={p} onInput={setP} error={props.errors.password} />
        <button type="submit" class="primary">
          Save credentials
        </button>
      </form>
    </details>
  );
}
