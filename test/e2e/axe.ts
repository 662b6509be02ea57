/**
 * Accessibility checks of an extension page (the popup) with axe-core: the well-kept standard
 * engine behind most accessibility checkers (Deque's, run by Lighthouse and Chrome's DevTools too).
 * Its source is put into the page as it is, then `axe.run` checks the page as rendered.
 *
 *   const violations = await axeViolations(popup, { exclude: ['[data-testid="journal"]'] });
 *   expect(violations, describeViolations(violations)).toEqual([]);
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type * as Axe from 'axe-core';

/** The WCAG 2.0 and 2.1 level A and AA rules. */
export const WCAG_AA_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const;

export interface AxeViolation {
  /** The rule, e.g. `color-contrast`. */
  id: string;
  impact: string | null;
  /** What the rule asks, e.g. "Elements must meet minimum color contrast ratio thresholds". */
  help: string;
  helpUrl: string;
  nodes: { target: string; html: string; summary: string }[];
}

export interface AxeOptions {
  /** Selectors left out of the check (and everything inside them). */
  exclude?: readonly string[];
  /** Rule tags to run; WCAG 2.0/2.1 A and AA by default. */
  tags?: readonly string[];
}

let source: string | undefined;
const axeSource = () => (source ??= readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8'));

/**
 * The page's violations of `tags` (WCAG 2.0/2.1 A and AA by default). axe-core goes into the page
 * through DevTools' own evaluation, which an extension page's content security policy (no inline
 * script, no eval) does not stop; it stays there for later calls.
 */
export async function axeViolations(page: Page, options: AxeOptions = {}): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) {
    const session = await page.context().newCDPSession(page);
    try {
      const { exceptionDetails } = await session.send('Runtime.evaluate', { expression: axeSource() });
      if (exceptionDetails) throw new Error(`axe-core did not load: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    } finally {
      await session.detach();
    }
  }
  // Transitions (the switch's track) end before colours are read.
  await page.waitForTimeout(250);
  return await page.evaluate(
    async ({ exclude, tags }) => {
      const axe = (window as unknown as { axe: typeof Axe }).axe;
      const result = await axe.run(
        { exclude: exclude.map((selector) => [selector]) } as Axe.ElementContext,
        { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] },
      );
      return result.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact ?? null,
        help: violation.help,
        helpUrl: violation.helpUrl,
        nodes: violation.nodes.map((node) => ({ target: node.target.join(' '), html: node.html, summary: node.failureSummary ?? '' })),
      }));
    },
    { exclude: [...(options.exclude ?? [])], tags: [...(options.tags ?? WCAG_AA_TAGS)] },
  );
}

/** Violations as lines to read in a failed assertion: rule, impact, what it asks, then each element and why. */
export function describeViolations(violations: readonly AxeViolation[], label = ''): string {
  if (violations.length === 0) return `${label}no accessibility violations`;
  return [
    `${label}${violations.length} accessibility violation(s):`,
    ...violations.flatMap((violation) => [
      `- ${violation.id} (${violation.impact ?? 'no impact given'}): ${violation.help} <${violation.helpUrl}>`,
      ...violation.nodes.map((node) => `    ${node.target}  ${node.html.slice(0, 160)}\n      ${node.summary.replace(/\n/g, '\n      ')}`),
    ]),
  ].join('\n');
}

/**
 * The violations in the light and in the dark colour scheme (the popup follows the system's), each
 * labelled with its scheme; the page is left in the light scheme.
 */
export async function axeViolationsInBothSchemes(page: Page, options: AxeOptions = {}): Promise<{ light: AxeViolation[]; dark: AxeViolation[] }> {
  try {
    await page.emulateMedia({ colorScheme: 'light' });
    const light = await axeViolations(page, options);
    await page.emulateMedia({ colorScheme: 'dark' });
    const dark = await axeViolations(page, options);
    return { light, dark };
  } finally {
    await page.emulateMedia({ colorScheme: 'light' });
  }
}

/** Fails with the violations of both schemes spelled out, if there are any. */
export async function expectNoAxeViolations(page: Page, state: string, options: AxeOptions = {}): Promise<void> {
  const { light, dark } = await axeViolationsInBothSchemes(page, options);
  if (light.length + dark.length === 0) return;
  throw new Error(
    [`Accessibility violations in "${state}":`, describeViolations(light, 'light: '), describeViolations(dark, 'dark: ')].join('\n'),
  );
}
