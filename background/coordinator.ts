import browser from 'webextension-polyfill';
import type { PopupReply } from '../src/protocol/popup';
import { PairingCoordinator } from '../src/pairing/coordinator';
import { endedPairings, journalAppend, journalSetStatus, journalSettlePending, pairings, registry } from './stores';
import { sendToTab } from './tab-messages';
import { postToTab } from './tab-ports';

const randomId = () => crypto.randomUUID();

/** The pairing logic, on the extension's storage and tabs. */
export const coordinator = new PairingCoordinator({
  registry,
  pairings,
  endedPairings,
  tabs: { send: sendToTab, post: postToTab },
  journal: { append: journalAppend, setStatus: journalSetStatus, settlePending: journalSettlePending },
  ids: { pairId: randomId, peerId: randomId, lineId: randomId },
  now: () => Date.now(),
});

/** Shows `path` in both tabs of a pairing, and brings the first to the front. */
export async function openInTabs(pairId: string, path: string): Promise<PopupReply> {
  const shown = await coordinator.showPath(pairId, path);
  if (!shown.ok) return shown;
  const tab = await browser.tabs.update(shown.frontTabId, { active: true });
  if (tab.windowId !== undefined) await browser.windows.update(tab.windowId, { focused: true });
  return { ok: true };
}
