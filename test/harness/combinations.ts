import type { SqliteDriverId, WordPressVersionId } from './artifacts';

/** One WordPress version on one SQLite driver: the matrix the integration tests run over. */
export interface Combination {
  readonly driver: SqliteDriverId;
  readonly wp: WordPressVersionId;
}

export const ALL_COMBINATIONS: readonly Combination[] = [
  { driver: 'ast', wp: '6.5' },
  { driver: 'ast', wp: 'nightly' },
  { driver: 'legacy', wp: '6.5' },
  { driver: 'legacy', wp: 'nightly' },
];
