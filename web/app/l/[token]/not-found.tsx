// Shown (with HTTP 404) for a lockbox link we never issued: mistyped, cut off, or altered.
export default function LockboxLinkNotFound() {
  return (
    <section className="narrow" data-testid="lockbox-link-problem" data-reason="unknown">
      <h1>This link is not valid</h1>
      <p role="alert" className="error">
        This link is not valid. Check that it was copied completely from the email.
      </p>
      <p className="muted">No one was given access to your data on the strength of this link.</p>
    </section>
  );
}
