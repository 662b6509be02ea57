interface SyncSwitchProps {
  on: boolean;
  disabled: boolean;
  /** Why it cannot be switched now (a copy in progress), shown as its tooltip. */
  disabledReason?: string | undefined;
  /** What it switches, for its accessible name ("Sync Lively River and Daring Lagoon"). */
  label: string;
  onChange: (on: boolean) => void;
}

/** An on/off switch whose name stays the same (its state is read out as checked or not) while its visible text follows it. */
export function SyncSwitch({ on, disabled, disabledReason, label, onChange }: SyncSwitchProps) {
  return (
    <label class="switch" title={disabled && disabledReason ? disabledReason : on ? 'Changes sync live; click to pause' : 'Sync is paused; click to resume'}>
      <input
        type="checkbox"
        role="switch"
        data-testid="sync-toggle"
        aria-label={label}
        checked={on}
        disabled={disabled}
        onChange={(event) => onChange(event.currentTarget.checked)}
      />
      <span class="switch__track" aria-hidden="true" />
      <span aria-hidden="true">{on ? 'On' : 'Off'}</span>
    </label>
  );
}
