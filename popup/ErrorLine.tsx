import type { Failure } from './use-commands';

export function ErrorLine({ failure, onDismiss }: { failure: Failure; onDismiss: () => void }) {
  return (
    <div class="line line--error" role="alert">
      <span class="line__text" data-testid="error">
        {failure.message}
      </span>
      {failure.retry ? (
        <button type="button" class="button button--small" data-testid="retry" onClick={failure.retry}>
          Try again
        </button>
      ) : null}
      <button type="button" class="line__close" aria-label="Dismiss this error" title="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
