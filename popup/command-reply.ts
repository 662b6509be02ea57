import type { ContentSummary } from '../src/protocol/runtime';

export const RESTARTING_MESSAGE = "The extension's background is restarting; try again.";

export interface DifferSide {
  tabId: number;
  summary: ContentSummary;
}

/** What became of a command, in terms the popup shows. */
export type CommandOutcome =
  | { kind: 'ok' }
  | { kind: 'failed'; message: string; retryable: boolean }
  | { kind: 'differ'; message: string; sides: DifferSide[] };

export const backgroundUnavailable: CommandOutcome = { kind: 'failed', message: RESTARTING_MESSAGE, retryable: true };

const MAX_MESSAGE = 300;

/** One readable sentence from whatever the background said: no stack frames, no error class names. */
export function readableError(error: unknown): string {
  const text = typeof error === 'string' ? error : error instanceof Error ? error.message : '';
  const line = text
    .split('\n')
    .map((part) => part.trim())
    .find((part) => part !== '' && !/^at\s/.test(part));
  const message = (line ?? '').replace(/^(?:[A-Z]\w*)?Error:\s*/, '').trim();
  if (message === '') return 'Something went wrong; try again.';
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE - 1)}…` : message;
}

/**
 * `runtime.sendMessage` resolves to `undefined` when no listener answered, which happens while
 * the service worker is starting up: the same as a rejection to the user.
 */
export function interpretReply(reply: unknown): CommandOutcome {
  if (typeof reply !== 'object' || reply === null || typeof (reply as { ok?: unknown }).ok !== 'boolean') {
    return backgroundUnavailable;
  }
  const answer = reply as { ok: boolean; error?: unknown; differ?: unknown };
  if (answer.ok) return { kind: 'ok' };
  const message = readableError(answer.error);
  // A group of any size asks which site to keep; fewer than two sides is no question.
  if (Array.isArray(answer.differ) && answer.differ.length >= 2) {
    return { kind: 'differ', message, sides: answer.differ };
  }
  return { kind: 'failed', message, retryable: false };
}
