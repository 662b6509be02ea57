import { makePng } from '../test/integration/files-png';

/**
 * Single changes as a person makes them in wp-admin, for the latency benches: each is one request
 * on the site, whose PHP answers when its change was committed (epoch ms, PHP's clock, the clock
 * the journal's times come from too). The drain at the end of the request is sync work: it is
 * part of the time measured.
 */
export interface SingleChange {
  readonly name: string;
  /** PHP for `inWordPress`, setting `$result` to `['committedAt' => …]`; `n` makes each run's values its own. */
  php(n: number, targetPostId: number): string;
}

const COMMITTED = `$result = ['committedAt' => microtime(true) * 1000];`;

/** 40 × 40 pixels of noise: about 5 KiB, below every thumbnail size (no resized copies). */
const PNG_BASE64 = Buffer.from(makePng(40, 40)).toString('base64');

export const SINGLE_CHANGES: readonly SingleChange[] = [
  {
    name: 'publish a post',
    php: (n) => `wp_insert_post(['post_title' => 'Latency post ${n}', 'post_status' => 'publish', 'post_content' => 'Published for the latency bench.']);
${COMMITTED}`,
  },
  {
    name: 'update a title',
    php: (n, targetPostId) => `wp_update_post(['ID' => ${targetPostId}, 'post_title' => 'Latency title ${n}']);
${COMMITTED}`,
  },
  {
    name: 'update an option',
    php: (n) => `update_option('blogdescription', 'Latency tagline ${n}');
${COMMITTED}`,
  },
  {
    name: 'upload a 5 KiB image',
    php: (n) => `require_once ABSPATH . 'wp-admin/includes/image.php';
$upload = wp_upload_bits('latency-${n}.png', null, base64_decode('${PNG_BASE64}'));
if ($upload['error']) throw new Exception($upload['error']);
$id = wp_insert_attachment(['post_title' => 'Latency image ${n}', 'post_mime_type' => 'image/png', 'post_status' => 'inherit'], $upload['file']);
wp_update_attachment_metadata($id, wp_generate_attachment_metadata($id, $upload['file']));
${COMMITTED}`,
  },
];

/** The post whose title the changes update: published once, before the measured ones; `$result` also holds its ID. */
export const TARGET_POST_PHP = `$id = wp_insert_post(['post_title' => 'Latency target', 'post_status' => 'publish']);
$result = ['committedAt' => microtime(true) * 1000, 'postId' => $id];`;
