import type { SyncPeer } from '../../src/engine/sync-peer';
import { bootNodeSite, type NodeSite } from '../harness';
import type { TestLink } from '../harness/test-link';
import { inWordPress, joinSites, type EnginePair } from './engine-support';

/**
 * A big site for the full copy (issue 11): 100 MB+ of incompressible uploads in thousands of
 * files and tens of thousands of rows, and a fresh site that copies it.
 */

export const UPLOADS = 2_000;
export const UPLOAD_BYTES = 52 * 1024;
export const POSTS = 20_000;

/** Thousands of incompressible uploads, 100 folders of 20. */
const writeUploads = `
$dir = WP_CONTENT_DIR . '/uploads/copy-big';
for ($i = 0; $i < ${UPLOADS}; $i++) {
  $folder = $dir . '/' . intdiv($i, 20);
  if ($i % 20 === 0) wp_mkdir_p($folder);
  file_put_contents("$folder/photo-$i.bin", random_bytes(${UPLOAD_BYTES}));
}
$result = ${UPLOADS};`;

/** Rows straight into the database file (wp_insert_post would take minutes): a post and a meta row each. */
const insertRows = (databasePath: string) => `
$pdo = new PDO('sqlite:' . ${JSON.stringify(databasePath)});
$pdo->exec('BEGIN');
$post = $pdo->prepare("INSERT INTO wp_posts (post_author, post_date, post_date_gmt, post_content, post_title, post_excerpt, post_status, post_name, to_ping, pinged, post_modified, post_modified_gmt, post_content_filtered, guid, post_type) VALUES (1, '2026-12-03 12:00:00', '2026-12-03 12:00:00', ?, ?, '', 'publish', ?, '', '', '2026-12-03 12:00:00', '2026-12-03 12:00:00', '', '', 'post')");
$meta = $pdo->prepare("INSERT INTO wp_postmeta (post_id, meta_key, meta_value) VALUES (?, 'copy_big', ?)");
for ($i = 0; $i < ${POSTS}; $i++) {
  $post->execute([str_repeat("Body of post $i. ", 20), "Copy big $i", "copy-big-$i"]);
  $meta->execute([$pdo->lastInsertId(), (string) $i]);
}
$pdo->exec('COMMIT');
$result = ${POSTS};`;

export const bigSiteSize = (site: NodeSite) =>
  inWordPress<{ uploadBytes: number; uploads: number; posts: number }>(
    site,
    `global $wpdb;
$bytes = 0; $count = 0;
foreach (new RecursiveIteratorIterator(new RecursiveDirectoryIterator(WP_CONTENT_DIR . '/uploads/copy-big', FilesystemIterator::SKIP_DOTS)) as $file) { $bytes += $file->getSize(); $count++; }
$result = ['uploadBytes' => $bytes, 'uploads' => $count, 'posts' => (int) $wpdb->get_var("SELECT COUNT(*) FROM $wpdb->posts WHERE post_title LIKE 'Copy big %'")];`,
  );

/** A site booted and filled (uploads, rows), and a fresh B: A is the copy's source. */
export async function bootBigSiteAndFreshSite(name: string): Promise<{ a: NodeSite; b: NodeSite }> {
  const url = (side: string) => `https://playground.wordpress.net/scope:${name}-${side}/`;
  const a = await bootNodeSite({ driver: 'ast', wp: 'nightly', siteUrl: url('a') });
  const b = await bootNodeSite({ driver: 'ast', wp: 'nightly', siteUrl: url('b') });
  await inWordPress(a, writeUploads);
  await inWordPress(a, insertRows(a.facts.databasePath));
  return { a, b };
}

export interface CopyRun extends EnginePair {
  /** Each copy B finished: undefined, or the error. */
  readonly copies: (string | undefined)[];
}

/**
 * Pairs A's tab with B's as the popup does, A kept: once both peers started, `beforeB` and
 * `beforeCopy` run (before any message is delivered), then the copy runs to its end and the
 * pairing is live.
 */
export async function copyAOntoB(
  a: NodeSite,
  b: NodeSite,
  beforeB: (peerA: SyncPeer, link: TestLink) => void = () => {},
  beforeCopy: (peerB: SyncPeer) => void = () => {},
): Promise<CopyRun> {
  const copies: (string | undefined)[] = [];
  const pair = await joinSites(
    { a, b },
    {
      beforeCopy: (started) => {
        started.tabs.b.observe((message) => {
          if (message.type === 'tab/copy-done') copies.push(message.error);
        });
        beforeB(started.peerA, started.link);
        beforeCopy(started.peerB);
      },
    },
  );
  return Object.assign(pair, { copies });
}
