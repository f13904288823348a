export function NotYet(props: { label: string; available: boolean }) {
  return (
    <section aria-labelledby="not-yet-title">
      <h1 id="not-yet-title">{props.label}</h1>
      {props.available ? (
        <p>
          The API has {props.label.toLowerCase()} routes now; this view is being built. Use the API docs at
          /docs meanwhile.
        </p>
      ) : (
        <p className="muted">
          Not available yet: this server's API has no {props.label.toLowerCase()} routes. The view appears
          here when the capability ships.
        </p>
      )}
    </section>
  );
}
