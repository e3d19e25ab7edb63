// Shown (with HTTP 404) for a consent link we never issued: mistyped, cut off, or altered.
export default function ConsentLinkNotFound() {
  return (
    <section className="narrow" data-testid="consent-link-problem" data-reason="unknown">
      <h1>This link is not valid</h1>
      <p role="alert" className="error">
        This link is not valid. Check that it was copied completely from the email.
      </p>
      <p className="muted">Nothing has been collected on the strength of this link.</p>
    </section>
  );
}
