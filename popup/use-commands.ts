import { useCallback, useState } from 'preact/hooks';
import type { PopupCommand } from '../src/protocol/popup';
import type { CommandOutcome } from './command-reply';
import { sendCommand } from './send-command';

export interface Failure {
  message: string;
  /** Sends the same command again (only when it never reached the background). */
  retry?: () => void;
}

/** What a command is about, so that only its own button shows it busy. */
export function commandKey(command: { type: PopupCommand['type']; pairId?: string }): string {
  return command.pairId === undefined ? command.type : `${command.type}:${command.pairId}`;
}

export interface Commands {
  run: (command: PopupCommand, then?: (outcome: CommandOutcome) => void) => Promise<void>;
  isBusy: (key: string) => boolean;
  failure: Failure | undefined;
  dismiss: () => void;
}

export function useCommands(): Commands {
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [failure, setFailure] = useState<Failure>();

  const run = useCallback(async function run(command: PopupCommand, then?: (outcome: CommandOutcome) => void) {
    const key = commandKey(command);
    setFailure(undefined);
    setBusy((keys) => new Set(keys).add(key));
    const outcome = await sendCommand(command);
    setBusy((keys) => {
      const rest = new Set(keys);
      rest.delete(key);
      return rest;
    });
    if (outcome.kind === 'failed') {
      setFailure({ message: outcome.message, ...(outcome.retryable ? { retry: () => void run(command, then) } : {}) });
    }
    then?.(outcome);
  }, []);

  return {
    run,
    isBusy: (key) => busy.has(key),
    failure,
    dismiss: () => setFailure(undefined),
  };
}
