import { findHighIds } from '../../../src/db';
import type { IdRange } from '../../../src/ids';
import type { NodeSite } from '../../harness';

/**
 * With low IDs on (docs/ids.md), what the checker finds on each of `sites` (by name): a reference
 * left to a high ID a numberer renumbered (a dangling one), and, while the numberer numbers
 * (`numbering`: it took over from every numberer before it), a row made while synced still high.
 */
export async function highIdsLeft(sites: ReadonlyMap<string, NodeSite>, zone: IdRange, numbering: boolean): Promise<string[]> {
  const problems: string[] = [];
  for (const [name, site] of sites) {
    const report = await findHighIds(site.client, { zone });
    if (report.occurrences.length > 0) problems.push(`${name} still refers to renumbered high IDs: ${JSON.stringify(report.occurrences.slice(0, 10))}`);
    const high = report.provisional.filter((row) => row.reason === 'not-reclaimed');
    if (numbering && high.length > 0) problems.push(`${name} holds rows the numberer never renumbered: ${JSON.stringify(high.slice(0, 10))}`);
  }
  return problems;
}
