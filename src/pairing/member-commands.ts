import { BackgroundToTabSchema, type BackgroundToTab, type TabReply, type TabToBackground } from '../protocol/runtime';
import { parseMessage } from '../protocol/validate';
import type { SiteClient } from '../platform/site-client';
import { readContentSummary } from '../site/content-summary';
import type { MemberHost } from './member-host';

/** What a tab's page offers the background's commands. */
export interface MemberPage {
  readonly host: MemberHost;
  readonly client: SiteClient;
  /** Whether the page's site is described yet (before that, no command is answered). */
  ready(): boolean;
  /** Shows a page of the site in the tab. */
  goTo(path: string): Promise<void>;
  /** Tells the background (the journal line of a peer's removal). */
  report(message: TabToBackground): void;
  /** A message from the background that is not one (journaled as refused input). */
  onRejected(summary: string): void;
}

/** Validates a message from the background and answers it; never throws (a failure is the reply). */
export function answerBackground(page: MemberPage, message: unknown): Promise<TabReply> {
  const parsed = parseMessage(BackgroundToTabSchema, message, 'background message');
  if (!parsed.ok) {
    page.onRejected(parsed.error);
    return Promise.resolve<TabReply>({ ok: false, error: parsed.error });
  }
  return answerCommand(page, parsed.value).catch((error: unknown): TabReply => ({ ok: false, error: error instanceof Error ? error.message : String(error) }));
}

async function answerCommand(page: MemberPage, command: BackgroundToTab): Promise<TabReply> {
  if (!page.ready()) throw new Error('The Playground site in this tab is not ready yet');
  const { host } = page;
  switch (command.type) {
    case 'bg/summary':
      return { ok: true, summary: await readContentSummary(page.client) };
    case 'bg/peer-start':
      await host.start(command);
      return { ok: true };
    case 'bg/peer-stop': {
      const line = await host.end(command.pairId);
      if (line) page.report({ type: 'tab/journal', entries: [line] });
      return line?.status === 'failed' ? { ok: false, error: line.summary } : { ok: true };
    }
    case 'bg/envelope':
      await host.receive(command.pairId, command.envelope);
      return { ok: true };
    case 'bg/sync':
      host.setSync(command.pairId, command.on);
      return { ok: true };
    case 'bg/numbering':
      await host.setNumbering(command.pairId, command.on, command.numbererPeer, command.formerNumberers ?? []);
      return { ok: true };
    case 'bg/retry':
      await host.retry(command.pairId);
      return { ok: true };
    case 'bg/member':
      await host.changeMember(command.pairId, command.change, command.peerId, command.life);
      return { ok: true };
    case 'bg/copy-from':
      await host.copyFrom(command.pairId, command.peerId);
      return { ok: true };
    case 'bg/open-path':
      await page.goTo(command.path);
      return { ok: true };
  }
}
