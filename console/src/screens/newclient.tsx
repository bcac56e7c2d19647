import { useState } from "preact/hooks";
import { api, ApiError, Me } from "../api";
import { Field, navigate, ProblemBanner, useAction, useApi } from "../ui";

const industries = ["automotive", "consumer_goods", "ecommerce", "education", "finance", "healthcare", "hospitality", "manufacturing", "media",
  "nonprofit", "professional_services", "public_sector", "real_estate", "retail", "technology", "travel", "other"];
const regions = ["us", "ca", "latam", "eu", "uk", "mea", "apac", "anz"];
const steps = ["Basic information", "Region and timezone", "Security policy", "Contacts", "Team"];
// Which step shows a field the API names.
const stepOf = (field: string) =>
  field.startsWith("contacts") ? 3 : field.startsWith("team") ? 4 : field === "securityPolicyId" ? 2 : field === "region" || field === "timezone" ? 1 : 0;

type Contact = { kind: string; name: string; email: string; phone: string };
type TeamRow = { memberId: string; role: string };

export function NewClient(_props: { me: Me }) {
  const [step, setStep] = useState(0);
  const [f, setF] = useState({ name: "", description: "", industry: "retail", region: "eu", timezone: Intl.DateTimeFormat().resolvedOptions().timeZone, securityPolicyId: "" });
  const [contacts, setContacts] = useState<Contact[]>([{ kind: "technical", name: "", email: "", phone: "" }]);
  const [team, setTeam] = useState<TeamRow[]>([]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const act = useAction();
  const policies = useApi<{ items: { id: string; name: string }[] }>(step === 2 ? "/v1/security-policies" : null);
  const members = useApi<{ items: { id: string; name: string; role: string }[] }>(step === 4 ? "/v1/members?limit=100" : null);
  const set = (k: keyof typeof f) => (v: string) => setF({ ...f, [k]: v });

  const create = async () => {
    setErrors({});
    const body = {
      ...f,
      contacts: contacts.filter((c) => c.name || c.email).map((c) => ({ kind: c.kind, name: c.name, email: c.email, ...(c.phone ? { phone: c.phone } : {}) })),
      team: team.filter((t) => t.memberId),
      identityIds: [],
    };
    const res = await act.run(() => api("POST", "/v1/clients", body));
    if (res) navigate("/clients/" + (res.data as any).id);
  };
  // Errors from the API go back to their fields, on their step: the first
  // step with one is shown.
  const failed = act.error;
  const [shown, setShown] = useState<ApiError>();
  if (failed && failed !== shown) {
    setShown(failed);
    const fe = failed.fieldErrors();
    setErrors(fe);
    const first = Object.keys(fe).map(stepOf).sort()[0];
    if (first !== undefined) setStep(first);
  }
  const all = errors;
  const next = () => {
    if (step === 0 && !f.name.trim()) return setErrors({ name: "name is required" });
    setStep(step + 1);
  };

  return (
    <section aria-labelledby="new-h">
      <h1 id="new-h">New Client</h1>
      <ol class="steps" aria-label="Steps">
        {steps.map((s, i) => (
          <li aria-current={i === step ? "step" : undefined} class={i < step ? "done" : ""}>
            {i + 1}. {s}
          </li>
        ))}
      </ol>
      <form noValidate
        onSubmit={(e) => {
          e.preventDefault();
          step === steps.length - 1 ? create() : next();
        }}
      >
        <h2>
          Step {step + 1} of 5: {steps[step]}
        </h2>
        {step === 0 && (
          <>
            <Field label="Client name" name="name" required value={f.name} onInput={set("name")} error={all.name} hint="Shown wherever this client is referenced." />
            <Field label="Description" name="description" multiline value={f.description} onInput={set("description")} error={all.description} />
            <Field label="Industry" name="industry" value={f.industry} onInput={set("industry")} error={all.industry} options={industries.map((x) => ({ value: x, label: x.replace(/_/g, " ") }))} />
          </>
        )}
        {step === 1 && (
          <>
            <Field label="Primary region" name="region" value={f.region} onInput={set("region")} error={all.region} options={regions.map((x) => ({ value: x, label: x.toUpperCase() }))} />
            <Field label="Timezone" name="timezone" required value={f.timezone} onInput={set("timezone")} error={all.timezone} hint="An IANA name, like Europe/Berlin." />
          </>
        )}
        {step === 2 && (
          <Field
            label="Security policy"
            name="securityPolicyId"
            value={f.securityPolicyId}
            onInput={set("securityPolicyId")}
            error={all.securityPolicyId}
            options={[{ value: "", label: "The agency default" }, ...(policies.data?.items ?? []).map((p) => ({ value: p.id, label: p.name }))]}
            hint="Controls password requirements, session length and MFA for this client's access. You can change it later."
          />
        )}
        {step === 3 && (
          <fieldset>
            <legend>Technical and business contacts</legend>
            {contacts.map((c, i) => {
              const upd = (k: keyof Contact) => (v: string) => setContacts(contacts.map((x, j) => (j === i ? { ...x, [k]: v } : x)));
              return (
                <div class="row" role="group" aria-label={"Contact " + (i + 1)}>
                  <Field label="Kind" name={`contacts[${i}].kind`} value={c.kind} onInput={upd("kind")} options={[{ value: "technical", label: "Technical" }, { value: "business", label: "Business" }]} />
                  <Field label="Name" name={`contacts[${i}].name`} value={c.name} onInput={upd("name")} error={all[`contacts[${i}].name`]} />
                  <Field label="Email" name={`contacts[${i}].email`} type="email" value={c.email} onInput={upd("email")} error={all[`contacts[${i}].email`]} />
                  <Field label="Phone" name={`contacts[${i}].phone`} value={c.phone} onInput={upd("phone")} error={all[`contacts[${i}].phone`]} />
                </div>
              );
            })}
            <button type="button" onClick={() => setContacts([...contacts, { kind: "business", name: "", email: "", phone: "" }])}>
              Add a contact
            </button>
          </fieldset>
        )}
        {step === 4 && (
          <fieldset>
            <legend>Agency team for this client</legend>
            {team.map((t, i) => (
              <div class="row" role="group" aria-label={"Team member " + (i + 1)}>
                <Field
                  label="Member"
                  name={`team[${i}].memberId`}
                  value={t.memberId}
                  onInput={(v) => setTeam(team.map((x, j) => (j === i ? { ...x, memberId: v } : x)))}
                  error={all[`team[${i}].memberId`]}
                  options={[{ value: "", label: "Choose…" }, ...(members.data?.items ?? []).filter((m) => m.role !== "client_user").map((m) => ({ value: m.id, label: m.name }))]}
                />
                <Field label="Team role" name={`team[${i}].role`} value={t.role} onInput={(v) => setTeam(team.map((x, j) => (j === i ? { ...x, role: v } : x)))} options={["manager", "operator", "viewer"].map((r) => ({ value: r, label: r }))} />
              </div>
            ))}
            <button type="button" onClick={() => setTeam([...team, { memberId: "", role: "manager" }])}>
              Add a team member
            </button>
          </fieldset>
        )}
        <ProblemBanner error={act.error} />
        <div class="actions">
          {step > 0 && (
            <button type="button" onClick={() => setStep(step - 1)}>
              Back
            </button>
          )}
          <button type="submit" class="primary" disabled={act.busy}>
            {step === steps.length - 1 ? "Create" : "Next"}
          </button>
        </div>
      </form>
    </section>
  );
}
