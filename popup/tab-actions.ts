import browser from 'webextension-polyfill';

const PLAYGROUND = 'https://playground.wordpress.net/';

/** Brings the tab (and its window) to the front. Neither call needs the "tabs" permission. */
export async function goToTab(tabId: number): Promise<void> {
  const tab = await browser.tabs.update(tabId, { active: true });
  if (tab.windowId !== undefined) await browser.windows.update(tab.windowId, { focused: true });
}

/** Opens `count` new Playground tabs, each booting a fresh temporary site, the last one in front. */
export async function openPlaygroundTabs(count: number): Promise<void> {
  for (let index = 0; index < count; index++) await browser.tabs.create({ url: PLAYGROUND, active: index === count - 1 });
}

/** The journal's own page, in a new tab (an extension page: it reads the journal as the popup does). */
export async function openJournalPage(): Promise<void> {
  await browser.tabs.create({ url: browser.runtime.getURL('popup/journal.html') });
}
