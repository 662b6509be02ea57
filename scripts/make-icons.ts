/**
 * `npx tsx scripts/make-icons.ts`: draws the toolbar and store icons from background/icons/icon.svg
 * with Chromium (transparent PNGs, one per size and state). Run it after changing the SVG and
 * commit the PNGs: the build only copies them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH } from '../test/e2e/browser';
import { ICON_SIZES, ICON_TILES, iconFile, type IconState } from '../src/pairing/icon';

const svg = readFileSync('background/icons/icon.svg', 'utf8');
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH });
try {
  for (const state of Object.keys(ICON_TILES) as IconState[]) {
    for (const size of ICON_SIZES) {
      const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
      // Small icons get bolder arrows: 13 units of 128 would be under 2 pixels at 16.
      const stroke = size <= 16 ? 18 : size <= 32 ? 15 : 13;
      const sized = svg.replace('<svg ', `<svg width="${size}" height="${size}" style="display:block; --tile: ${ICON_TILES[state]}; --stroke: ${stroke}px" `);
      await page.setContent(`<html><body style="margin:0; background:transparent">${sized}</body></html>`);
      writeFileSync(iconFile(state, size), await page.screenshot({ omitBackground: true }));
      await page.close();
    }
  }
} finally {
  await browser.close();
}
console.log(`Icons written for ${Object.keys(ICON_TILES).join(', ')} at ${ICON_SIZES.join(', ')} px.`);
