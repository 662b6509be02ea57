import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectConverged,
  inWordPress,
  journalSince,
  startPair,
  stopPair,
  syncUntilQuiet,
  type Combination,
  type EnginePair,
} from './engine-support';

/**
 * Both sites change the same thing before they sync: the same row, a row one side deletes, the
 * same unique key, the same file. Each ends in one state on both sites, and row conflicts are
 * journaled.
 */

const COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: 'nightly' },
  { driver: 'legacy', wp: '6.5' },
];

const FOLDER = '/wordpress/wp-content/engine-conflicts';

describe.each(COMBINATIONS)('conflicts through the engine, WordPress $wp on the $driver driver', (combination) => {
  let pair: EnginePair;

  const createPost = async (title: string) => {
    const id = await inWordPress<number>(pair.a, `$result = wp_insert_post(['post_title' => '${title}', 'post_status' => 'publish']);`);
    await syncUntilQuiet(pair);
    return id;
  };

  beforeAll(async () => {
    pair = await startPair(combination, 'conflict', { lowIds: false });
  });
  afterAll(() => stopPair(pair));

  it('converges on one title when both sites retitle the same post, and journals the conflict', async () => {
    const id = await createPost('Original title');
    const mark = pair.journal.length;
    await inWordPress(pair.a, `wp_update_post(['ID' => ${id}, 'post_title' => 'Title from A']);`);
    await inWordPress(pair.b, `wp_update_post(['ID' => ${id}, 'post_title' => 'Title from B']);`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    const title = await inWordPress<string>(pair.a, `$result = get_the_title(${id});`);
    expect(['Title from A', 'Title from B']).toContain(title);
    expect(await inWordPress<string>(pair.b, `$result = get_the_title(${id});`)).toBe(title);
    const conflicts = journalSince(pair, mark).filter((entry) => entry.status === 'conflict');
    expect(conflicts.map((entry) => entry.target)).toContainEqual(expect.stringMatching(new RegExp(`^wp_posts \\{"ID":${id}\\}`)));
    // For people: one entry naming the post as both sites keep it, with both titles, and where to see it.
    const lost = title === 'Title from A' ? 'Title from B' : 'Title from A';
    const [people, ...more] = conflicts.filter((entry) => entry.kind === 'change');
    expect(more).toEqual([]);
    expect(people).toMatchObject({ summary: `Post “${title}” changed on both sites at once: the later change is kept on both`, openPath: `/wp-admin/post.php?post=${id}&action=edit` });
    expect(people!.conflict).toContainEqual({ field: `Post “${title}”: title`, kept: title, lost });
  });

  it('converges when one site deletes a post the other retitles', async () => {
    const id = await createPost('Doomed or saved');
    await inWordPress(pair.a, `wp_delete_post(${id}, true);`);
    await inWordPress(pair.b, `wp_update_post(['ID' => ${id}, 'post_title' => 'Retitled on B']);`);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
  });

  it('converges when both sites create the same option with different values', async () => {
    await Promise.all([
      inWordPress(pair.a, `add_option('engine_both', 'value from A');`),
      inWordPress(pair.b, `add_option('engine_both', 'value from B');`),
    ]);
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    const value = await inWordPress<string>(pair.a, `$result = get_option('engine_both');`);
    expect(['value from A', 'value from B']).toContain(value);
  });

  it('converges when one site re-creates an option the other goes on editing and then deletes (fuzzer finding, seed 302)', async () => {
    await inWordPress(pair.a, `add_option('engine_twice', 'first');`);
    await syncUntilQuiet(pair);
    const later = () => new Promise((resolve) => setTimeout(resolve, 5)); // wall-clock based clocks: order the changes
    await inWordPress(pair.b, `delete_option('engine_twice'); add_option('engine_twice', 're-created on B');`);
    await pair.peerB.flush();
    await later();
    await inWordPress(pair.a, `update_option('engine_twice', 'edited on A');`);
    await pair.peerA.flush();
    await later();
    await inWordPress(pair.a, `delete_option('engine_twice');`);
    await pair.peerA.flush();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
  });

  it('converges on one version when both sites write the same file differently', async () => {
    await pair.a.client.mkdir(FOLDER);
    await syncUntilQuiet(pair);
    const mark = pair.journal.length;
    await pair.a.client.writeFile(`${FOLDER}/both.txt`, 'written on A');
    await pair.b.client.writeFile(`${FOLDER}/both.txt`, 'written on B');
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    const text = await pair.a.client.readFileAsText(`${FOLDER}/both.txt`);
    expect(['written on A', 'written on B']).toContain(text);
    const conflicts = journalSince(pair, mark).filter((entry) => entry.status === 'conflict' && entry.kind === 'files');
    expect(conflicts.map((entry) => entry.target)).toEqual(['wp-content/engine-conflicts/both.txt']);
  });

  it('converges when one site deletes a file the other rewrites', async () => {
    await pair.a.client.writeFile(`${FOLDER}/contested.txt`, 'first version');
    await syncUntilQuiet(pair);
    await pair.a.client.unlink(`${FOLDER}/contested.txt`);
    await pair.b.client.writeFile(`${FOLDER}/contested.txt`, 'rewritten on B');
    await syncUntilQuiet(pair);
    await expectConverged(pair);
  });

  it('keeps a file written into a folder the other site moved away meanwhile: the later change wins inside the folder', async () => {
    const doomed = `${FOLDER}/doomed`;
    await pair.a.client.mkdir(doomed);
    await pair.a.client.writeFile(`${doomed}/old.txt`, 'old');
    await syncUntilQuiet(pair);
    await pair.b.client.mv(doomed, `${FOLDER}/moved`);
    await pair.peerB.flush();
    // The clocks are wall-clock based: a few ms apart, A's write is the later change, whatever the ties.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await pair.a.client.writeFile(`${doomed}/new.txt`, 'written on A after the move');
    await pair.peerA.flush();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await pair.b.client.readFileAsText(`${doomed}/new.txt`)).toBe('written on A after the move');
    expect(await pair.a.client.fileExists(`${doomed}/old.txt`)).toBe(false);
    expect(await pair.a.client.readFileAsText(`${FOLDER}/moved/old.txt`)).toBe('old');
  });

  it('drops a file written into a folder the other site moved away later: the later move wins', async () => {
    const moving = `${FOLDER}/moving`;
    await pair.a.client.mkdir(moving);
    await pair.a.client.writeFile(`${moving}/old.txt`, 'old');
    await syncUntilQuiet(pair);
    await pair.a.client.writeFile(`${moving}/early.txt`, 'written on A before the move');
    await pair.peerA.flush();
    // A few ms apart on wall-clock based clocks: B's move is the later change.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await pair.b.client.mv(moving, `${FOLDER}/moved-later`);
    await pair.peerB.flush();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await pair.a.client.fileExists(moving)).toBe(false);
    expect(await pair.b.client.fileExists(moving)).toBe(false);
    expect(await pair.a.client.readFileAsText(`${FOLDER}/moved-later/old.txt`)).toBe('old');
  });

  it('drops a file written into a folder the other site later moved away and back: re-creating a folder does not undo its removal', async () => {
    const roaming = `${FOLDER}/roaming`;
    await pair.a.client.mkdir(roaming);
    await pair.a.client.writeFile(`${roaming}/old.txt`, 'old');
    await syncUntilQuiet(pair);
    await pair.a.client.writeFile(`${roaming}/early.txt`, 'written on A before the moves');
    await pair.peerA.flush();
    // A few ms apart on wall-clock based clocks: B's moves are the later changes.
    await new Promise((resolve) => setTimeout(resolve, 5));
    await pair.b.client.mv(roaming, `${FOLDER}/away`);
    await pair.peerB.flush();
    await pair.b.client.mv(`${FOLDER}/away`, roaming);
    await pair.peerB.flush();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await pair.a.client.fileExists(`${roaming}/early.txt`)).toBe(false);
    expect(await pair.a.client.readFileAsText(`${roaming}/old.txt`)).toBe('old');
  });

  it('removes the older files of a folder the other site moved away, even where this site made the folder again later', async () => {
    const later = () => new Promise((resolve) => setTimeout(resolve, 5)); // wall-clock based clocks: order the changes
    const churn = `${FOLDER}/churn`;
    await pair.a.client.mkdir(churn);
    await pair.a.client.writeFile(`${churn}/old.txt`, 'old');
    await syncUntilQuiet(pair);
    await pair.b.client.rmdir(churn, { recursive: true });
    await pair.peerB.flush();
    await later();
    await pair.a.client.writeFile(`${churn}/x.txt`, 'written on A, moved away on A later');
    await pair.peerA.flush();
    await later();
    await pair.a.client.mv(churn, `${FOLDER}/churned`);
    await pair.peerA.flush();
    await later();
    await pair.b.client.mkdir(churn);
    await pair.b.client.writeFile(`${churn}/new.txt`, 'written on B last');
    await pair.peerB.flush();
    await syncUntilQuiet(pair);
    await expectConverged(pair);
    expect(await pair.b.client.fileExists(`${churn}/x.txt`)).toBe(false);
    expect(await pair.b.client.readFileAsText(`${FOLDER}/churned/x.txt`)).toBe('written on A, moved away on A later');
    expect(await pair.a.client.readFileAsText(`${churn}/new.txt`)).toBe('written on B last');
  });

  it('leaves nothing pending', () => {
    expect(pair.peerA.pendingCount + pair.peerB.pendingCount).toBe(0);
  });
});
