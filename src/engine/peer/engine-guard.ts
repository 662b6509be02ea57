import { lostWithRuntime } from '../../db';
import type { SiteClient } from '../../platform/site-client';
import { missingEngineFiles, reinstallEngine } from '../engine-files';
import type { PeerJournal } from './peer-journal';

/** Runs of one engine task when the site keeps losing the engine's files under it. */
const ENGINE_TASK_ATTEMPTS = 3;

export interface EngineGuardOptions {
  readonly client: SiteClient;
  readonly peerId: string;
  readonly siteUrl: string;
  readonly journal: PeerJournal;
  readonly setProblem: (problem: string | null) => void;
  /** The tab's client serves another site now: nothing more of this peer may run. */
  readonly onSiteSwitched: () => void;
  /** The engine was put back while a task ran: what the triggers captured meanwhile waits to be pulled. */
  readonly onReinstalledDuringTask: () => void;
}

/**
 * Older Playground builds lose everything under /internal when they rotate the PHP runtime: the
 * engine's PHP, the preload (nothing drains) and the ID-shard filter. The triggers live in the
 * database and keep capturing meanwhile. The guard puts it all back, before a task or when a task
 * failed for that reason.
 */
export class EngineGuard {
  constructor(private readonly options: EngineGuardOptions) {}

  /** Puts the engine back if its files are gone; resolves whether it had to. */
  async reinstallIfLost(): Promise<boolean> {
    const { client, peerId, siteUrl, journal, setProblem } = this.options;
    const missing = await missingEngineFiles(client);
    if (missing.length === 0) return false;
    // The tab may have switched to another site under this peer (the page's client now serves it) before the
    // tab noticed: its engine is missing there because it was never ours. Nothing more of this peer runs.
    if ((await client.absoluteUrl).replace(/\/+$/, '') !== siteUrl) {
      this.options.onSiteSwitched();
      throw new Error('The tab switched to another site: this peer stops');
    }
    setProblem('Playground Sync’s files are gone from this site (Playground replaced its PHP runtime): reinstalling');
    const { missed } = await reinstallEngine(client, { peerId, siteUrl });
    const caughtUp = [
      missed?.created.length ? `tables made meanwhile, sent with their rows: ${missed.created.join(', ')}` : '',
      missed?.dropped.length ? `tables dropped meanwhile: ${missed.dropped.join(', ')}` : '',
      missed?.rebuilt.length ? `tables rebuilt meanwhile (without capture), their rows sent again: ${missed.rebuilt.join(', ')}` : '',
    ].filter(Boolean);
    journal.write([
      {
        direction: 'local',
        kind: 'pairing',
        target: 'sync engine',
        summary: 'Playground Sync’s files were gone from this site (Playground replaced its PHP runtime): reinstalled them',
        status: 'info',
        detail: [`Missing: ${missing.join(', ')}`, ...caughtUp].join('\n'),
      },
    ]);
    setProblem(null);
    return true;
  }

  /** Runs an engine task; if it failed because the engine's files are gone, reinstalls them and runs it again. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await task();
      } catch (error) {
        // Another instance's rotation may also take the files while the task runs (only its
        // input, or what was just put back): again, a few times (rotations are hundreds of requests apart).
        const reinstalled = await this.reinstallIfLost();
        if (reinstalled) this.options.onReinstalledDuringTask();
        if ((!reinstalled && !lostWithRuntime(error)) || attempt >= ENGINE_TASK_ATTEMPTS) throw error;
      }
    }
  }
}
