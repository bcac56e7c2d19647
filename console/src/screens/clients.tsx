import { can, Me } from "../api";
import { Badge, Link, useApi, usePath, View } from "../ui";

type ClientSummary = {
  id: string;
  name: string;
  industry: string;
  region: string;
  status: string;
  lifecycle: string;
  checklist: { item: string; label: string; done: boolean }[];
  attention?: { reason: string }[];
};

export function ClientsList(props: { me: Me }) {
  const path = usePath();
  const status = new URLSearchParams(path.split("?")[1] ?? "").get("status") === "archived" ? "archived" : "active";
  const list = useApi<{ items: ClientSummary[] }>("/v1/clients?status=" + status);
  return (
    <section aria-labelledby="clients-h">
      <div class="heading">
        <h1 id="clients-h">Clients</h1>
        {can(props.me, "clients.create") && (
          <Link class="button primary" href="/clients/new">
            New Client
          </Link>
        )}
      </div>
      <nav class="tabs" aria-label="Client lifecycle">
        <Link href="/clients" current={status === "active"}>
          Active
        </Link>
        <Link href="/clients?status=archived" current={status === "archived"}>
          Archived
        </Link>
      </nav>
      <View loaded={list} empty={(d) => d.items.length === 0} emptyText={status === "active" ? "No clients yet. Create the first one with New Client." : "No archived clients."}>
        {(d) => (
          <table>
            <caption class="sr-only">{status === "active" ? "Active" : "Archived"} clients</caption>
            <thead>
              <tr>
                <th scope="col">Client</th>
                <th scope="col">Status</th>
                <th scope="col">Setup checklist</th>
                <th scope="col">Industry · region</th>
              </tr>
            </thead>
            <tbody>
              {d.items.map((c) => {
                const done = c.checklist?.filter((x) => x.done).length ?? 0;
                return (
                  <tr>
                    <td>
                      <Link href={"/clients/" + c.id}>{c.name}</Link>
                    </td>
                    <td>
                      <Badge value={c.status} />
                      {c.attention?.length ? <span class="muted"> {c.attention.map((a) => a.reason.replace(/_/g, " ")).join(", ")}</span> : null}
                    </td>
                    <td>
                      <span title={c.checklist?.map((x) => (x.done ? "✓ " : "○ ") + x.label).join("\n")}>
                        {done} of {c.checklist?.length ?? 0} done
                      </span>
                    </td>
                    <td>
                      {c.industry} · {c.region}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </View>
    </section>
  );
}
