/** First-run hint: pin the extension, so its badge shows. */
export function PinHint({ onDismiss }: { onDismiss: () => void }) {
  return (
    <div class="line line--notice" role="status" data-testid="pin-hint">
      <span class="line__text">
        <strong>Pin Playground Sync</strong> to see at a glance whether your sites are in sync: open the puzzle-piece menu of the toolbar
        and click the pin next to it.
      </span>
      <button type="button" class="line__close" aria-label="Dismiss the pinning hint" title="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}
