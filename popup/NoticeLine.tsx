export function NoticeLine({ text, onDismiss }: { text: string; onDismiss: () => void }) {
  return (
    <div class="line line--notice" role="status">
      <span class="line__text" data-testid="notice">
        {text}
      </span>
      <button type="button" class="line__close" aria-label="Dismiss this notice" title="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
