/**
 * The popup's colours, read from popup/popup.css in both colour schemes, meet WCAG AA: text 4.5:1,
 * a control's boundary 3:1 (what axe-core, run by the E2E in every state, does not measure: the
 * switch's track, a button's edge, the focus ring). docs/ux.md lists the same pairs with their ratios.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const css = readFileSync(new URL('../../popup/popup.css', import.meta.url), 'utf8');

/** The custom properties set in the first `:root { … }` after `from` in the stylesheet. */
function customProperties(from: number): Record<string, string> {
  const start = css.indexOf(':root {', from);
  const block = css.slice(start, css.indexOf('}', start));
  return Object.fromEntries([...block.matchAll(/(--[\w-]+):\s*(#[0-9a-f]{3,6})\s*;/gi)].map((match) => [match[1]!, match[2]!.toLowerCase()]));
}
const light = customProperties(0);
const dark = { ...light, ...customProperties(css.indexOf('@media (prefers-color-scheme: dark)')) };

const hex6 = (hex: string) => (hex.length === 4 ? `#${[...hex.slice(1)].map((c) => c + c).join('')}` : hex);
const luminance = (hex: string) => {
  const [r, g, b] = [1, 3, 5].map((at) => parseInt(hex6(hex).slice(at, at + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
};
const contrast = (x: string, y: string) => {
  const [a, b] = [luminance(x), luminance(y)].sort((p, q) => q - p);
  return (a! + 0.05) / (b! + 0.05);
};

/** The switch's knob: white in both schemes (`.switch__track::after`). */
const KNOB = '#fff';

/** [what, foreground, background]: variables, or a literal colour. */
const TEXT: [string, string, string][] = [
  ['text', '--fg', '--bg'],
  ['text on a button, a warn line', '--fg', '--surface'],
  ['text on an error line', '--fg', '--bad-soft'],
  ['text on a notice line', '--fg', '--ok-soft'],
  ['secondary text', '--muted', '--bg'],
  ['secondary text on a button, a warn line', '--muted', '--surface'],
  ['a line’s × on an error line', '--muted', '--bad-soft'],
  ['a line’s × on a notice line', '--muted', '--ok-soft'],
  ['a link (Go to tab)', '--accent', '--bg'],
  ['a primary button (Pair, Keep …)', '--accent-fg', '--accent'],
  ['Up to date', '--ok-text', '--bg'],
  ['3 changes pending, a side’s problem', '--warn-text', '--bg'],
  ['an error in a card, a refused pair', '--bad-text', '--bg'],
  ['chip: Live, Ready, Applied', '--on-fill', '--fill-ok'],
  ['chip: Copying, Paused, Pending, Conflict', '--on-fill-warn', '--fill-warn'],
  ['chip: Error, Failed, Rejected', '--on-fill', '--fill-bad'],
  ['chip: Info', '--on-fill', '--fill-info'],
  ['chip: other statuses', '--on-fill', '--fill-neutral'],
  ['chip with a count of zero', '--muted', '--bg'],
];
const BOUNDARIES: [string, string, string][] = [
  ['a button’s edge, on the page', '--control', '--bg'],
  ['a button’s edge, on its own fill', '--control', '--surface'],
  ['the off switch’s track', '--control', '--bg'],
  ['the off switch’s knob on its track', KNOB, '--control'],
  ['the on switch’s track', '--ok', '--bg'],
  ['the on switch’s knob on its track', KNOB, '--ok'],
  ['the focus ring', '--accent', '--bg'],
];

describe('popup colours (WCAG AA)', () => {
  const color = (scheme: Record<string, string>, name: string) => {
    const value = name.startsWith('#') ? name : scheme[name];
    expect(value, `${name} is set in popup.css`).toMatch(/^#[0-9a-f]{3,6}$/);
    return value!;
  };
  for (const [schemeName, scheme] of [['light', light], ['dark', dark]] as const) {
    it(`text is at least 4.5:1 (${schemeName})`, () => {
      for (const [what, fg, bg] of TEXT) expect(contrast(color(scheme, fg), color(scheme, bg)), `${what}: ${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
    });
    it(`a control's boundary is at least 3:1 (${schemeName})`, () => {
      for (const [what, fg, bg] of BOUNDARIES) expect(contrast(color(scheme, fg), color(scheme, bg)), `${what}: ${fg} on ${bg}`).toBeGreaterThanOrEqual(3);
    });
  }

  it('has no faded chips (opacity took a zero count to 1.7–2.1:1) and no status colour as text on the page', () => {
    expect(css).not.toMatch(/\.chip--none\s*\{[^}]*opacity/);
    // --ok, --warn and --bad are fills and edges; text in a status colour is --ok-text, --warn-text, --bad-text.
    expect(css).not.toMatch(/[^-]color:\s*var\(--(ok|warn|bad)\)/);
  });
});
