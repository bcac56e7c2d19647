import { useState } from "preact/hooks";
import { api, Me } from "../api";
import { Badge, Field, ProblemBanner, Time, useAction, useApi, View } from "../ui";

// The client user's view: their client, a request with justification, their
// requests (and what they may reveal).
export function MyAccess(props: { me: Me }) {
  const clientId = props.me.clientId!;
  const platforms = useApi<{ items: any[] }>(`/v1/clients/${clientId}/platforms`);
  const mine = useApi<{ items: any[] }>(`/v1/clients/${clientId}/access-requests?limit=50`);
  const [f, setF] = useState({ platformId: "", identityType: "managed", justification: "" });
  const act = useAction();
  const [secret, setSecret] = useState<any>();
  const submit = () =>
    act.run(async () => {
      await api("POST", `/v1/clients/${clientId}/access-requests`, f);
      setF({ ...f, justification: "" });
      mine.reload();
    });
  const errs = act.error?.fieldErrors() ?? {};
  return (
    <section aria-labelledby="my-h">
      <h1 id="my-h">My access</h1>
      <p class="muted">Ask {props.me.agencyName} for access to a platform of your company; you are told when it is ready.</p>
      <h2>Request access</h2>
      <form noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Field
          label="Platform"
          name="platformId"
          required
          value={f.platformId}
          onInput={(v) => setF({ ...f, platformId: v })}
          error={errs.platformId}
          options={[{ value: "", label: "Choose…" }, ...(platforms.data?.items ?? []).map((p) => ({ value: p.platformId, label: p.name ?? p.platformId }))]}
        />
        <Field
          label="Identity"
          name="identityType"
          value={f.identityType}
          onInput={(v) => setF({ ...f, identityType: v })}
          error={errs.identityType}
          options={[
            { value: "managed", label: "Managed (AccessHive creates the account)" },
            { value: "standard", label: "Standard (the agency supplies it)" },
          ]}
        />
        <Field label="Justification" name="justification" multiline required value={f.justification} onInput={(v) => setF({ ...f, justification: v })} error={errs.justification} />
        <ProblemBanner error={act.error} />
        <button class="primary" type="submit" disabled={act.busy}>
          Submit request
        </button>
      </form>
      <h2>My requests</h2>
      <View loaded={mine} empty={(d) => d.items.length === 0} emptyText="You have not asked for access yet.">
        {(d) => (
          <ul class="cards">
            {d.items.map((r) => (
              <li class="card" data-request={r.id}>
                <Badge value={r.status} /> {r.identityType} · <Time at={r.createdAt} />
                <p>{r.justification}</p>
                {r.status === "provisioned" && (
                  <button onClick={() => act.run(async () => setSecret((await api("POST", `/v1/clients/${clientId}/access-requests/${r.id}/credentials/reveal`)).data))}>
                    Reveal my credential
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </View>
      {secret && (
        <div class="secret" role="dialog" aria-label="Credential">
          <p>
            Username <code>{secret.username}</code> · password <code data-secret>{secret.password}</code>
          </p>
          <button onClick={() => setSecret(undefined)}>Hide</button>
        </div>
      )}
    </section>
  );
}

export function Notifications() {
  const list = useApi<{ items: any[] }>("/v1/notifications");
  const act = useAction();
  return (
    <section aria-labelledby="ntf-h">
      <div class="heading">
        <h1 id="ntf-h">Notifications</h1>
        <button onClick={() => act.run(async () => (await api("POST", "/v1/notifications/read-all"), list.reload()))}>Mark all read</button>
      </div>
      <View loaded={list} empty={(d) => d.items.length === 0} emptyText="Nothing new.">
        {(d) => (
          <ul class="cards">
            {d.items.map((n) => (
              <li class={"card" + (n.readAt ? "" : " unread")}>
                <strong>{n.title}</strong> · <Time at={n.createdAt} />
                <p>{n.body}</p>
              </li>
            ))}
          </ul>
        )}
      </View>
    </section>
  );
}
