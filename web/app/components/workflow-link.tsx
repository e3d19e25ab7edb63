// The workflow behind a page's subject, as one row of its <dl>: the id an operator searches for, and a link to it in
// the Temporal UI.
export function WorkflowRow({ workflowId, href, testId }: { workflowId: string; href: string; testId?: string }) {
  return (
    <>
      <dt>Workflow</dt>
      <dd className="mono">
        {workflowId} ·{' '}
        <a href={href} target="_blank" rel="noreferrer" data-testid={testId}>
          Open in Temporal UI
        </a>
      </dd>
    </>
  );
}
