import { useEffect, useState } from "preact/hooks";
import { api, Me } from "../api";
import { Badge, Field, Link, ProblemBanner, useAction, useApi, View } from "../ui";

// Offboarding: review what will be revoked, confirm by typing the client's name,
// watch the steps run.
export function Offboarding(props: { me: Me; clientId: string }) {
  const client = useApi<any>("/v1/clients/" + props.clientId);
  const preview = useApi<any>(`/v1/clients/${props.clientId}/offboarding`);
  const [name, setName] = useState("");
  const act = useAction();
  const running = preview.data?.offboarding?.status === "running";
  useEffect(() => {
    if (!running) return;
    const t = setInterval(preview.reload, 1500);
    return () => clearInterval(t);
  }, [running]);
  const confirm = () =>
    act.run(async () => {
      await api("POST", `/v1/clients/${props.clientId}/offboarding`, { confirmName: name });
      preview.reload();
    });
  return (
    <View loaded={client}>
      {(c) => (
        <section aria-labelledby="off-h">
          <p>
            <Link href={"/clients/" + props.clientId}>← {c.name}</Link>
          </p>
          <h1 id="off-h">Offboard {c.name}</h1>
          <View loaded={preview}>
            {(p) => (
              <>
                {p.offboarding ? (
                  <>
                    <h2>
                      Progress <Badge value={p.offboarding.status} />
                    </h2>
                    <ol class="provisioning" aria-live="polite">
                      {p.offboarding.steps.map((s: any) => (
                        <li>
                          {s.name.replace(/_/g, " ")}: <Badge value={s.status} />
                          {s.error ? <span class="field-error"> {s.error}</span> : null}
                        </li>
                      ))}
                    </ol>
                  </>
                ) : (
                  <>
                    <h2>What will be revoked</h2>
                    <ul>
                      <li>{p.identities?.length ?? 0} identities deactivated (Workspace users suspended, credentials deleted)</li>
                      <li>{p.pendingRequests?.length ?? 0} pending requests rejected</li>
                      <li>{p.platforms?.length ?? 0} platforms, {p.team?.length ?? 0} team assignments removed; client users disabled</li>
                    </ul>
                  </>
                )}
                {p.offboarding?.status !== "done" && p.offboarding?.status !== "running" && (
                  <form noValidate
                    onSubmit={(e) => {
                      e.preventDefault();
                      confirm();
                    }}
                  >
                    <Field label={`Type the client's name (${c.name}) to confirm`} name="confirmName" value={name} onInput={setName} required error={act.error?.fieldErrors().confirmName} />
                    <ProblemBanner error={act.error} />
                    <button class="danger" type="submit" disabled={act.busy}>
                      Offboard and archive
                    </button>
                  </form>
                )}
              </>
            )}
          </View>
        </section>
      )}
    </View>
  );
}
