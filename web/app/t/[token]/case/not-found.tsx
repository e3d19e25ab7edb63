// Shown (with HTTP 404) for a tenant link we never issued: mistyped, cut off, or altered.
export default function TenantLinkNotFound() {
  return (
    <section className="narrow" data-testid="tenant-link-problem" data-reason="unknown">
      <h1>This link is not valid</h1>
      <p role="alert" className="error">
        This link is not valid. Check that it was copied completely from the email.
      </p>
      <p className="muted">If the problem remains, reply to the email you received and the abuse desk will send a new link.</p>
    </section>
  );
}
