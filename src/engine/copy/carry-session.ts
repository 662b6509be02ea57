import * as v from 'valibot';
import { ENGINE_DIR } from '../../db/php-sources';
import type { SiteClient } from '../../platform/site-client';

const CARRY_FILE = `${ENGINE_DIR}/session-carry.json`;
const SECRET_LIFETIME_S = 60;
const AnswerSchema = v.object({ carried: v.nullable(v.string()) });

/**
 * Keeps the tab logged in after a copy replaced its users (src/php/session-carry.php): the
 * session its cookie names gets cookies signed for the copied user row. Answers the login carried
 * over, or null (nobody was logged in, or the session is not valid here). Never throws: a tab
 * that could not be kept logged in asks its person to log in, nothing more.
 */
export async function carrySession(client: Pick<SiteClient, 'request' | 'writeFile' | 'unlink' | 'fileExists'>): Promise<string | null> {
  const secret = crypto.randomUUID();
  try {
    await client.writeFile(CARRY_FILE, JSON.stringify({ secret, expires: Math.floor(Date.now() / 1000) + SECRET_LIFETIME_S }));
    const response = await client.request({ url: `/?playground-sync-carry-session=${secret}` });
    const answer = v.safeParse(AnswerSchema, JSON.parse(response.text));
    return answer.success ? answer.output.carried : null;
  } catch {
    return null;
  } finally {
    if (await client.fileExists(CARRY_FILE).catch(() => false)) await client.unlink(CARRY_FILE).catch(() => undefined);
  }
}
