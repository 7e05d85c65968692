/**
 * The page in a real browser: Debian's chromium (no download) driven by playwright-core.
 * `.ci/run` installs the package when it is missing.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import type { Bridge } from '../../local/bridge';
import { commentPayload, post, startTestBridge, THREAD_NAME, testEnv } from './harness';
import { type TempDir, tempDir, waitFor } from './wait';

const CHROMIUM = '/usr/bin/chromium';

let dir: TempDir;
let bridge: Bridge;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

beforeEach(async () => {
  dir = await tempDir('dpt-browser-');
  bridge = await startTestBridge(testEnv(dir.path));
});

afterEach(async () => {
  await bridge.stop();
  await dir.remove();
});

describe('the local page in a browser', () => {
  test('"send a sample event" makes the thread appear, and a delivery opens with its Discord requests', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${bridge.url}/`);
    await page.getByText('No deliveries yet').waitFor();

    await page.getByRole('button', { name: 'Open a PR' }).click();
    await page.locator('.thread-name', { hasText: THREAD_NAME }).waitFor();
    await page.getByRole('button', { name: 'Comment', exact: true }).click();
    await page.locator('.thread .msg .content', { hasText: 'Could you also update the screenshots?' }).waitFor();

    const rows = page.locator('tr.delivery');
    await waitFor(async () => (await rows.count()) === 2, 'two delivery rows');
    await page.locator('tr.delivery', { hasText: 'issue_comment.created' }).locator('.status.done').waitFor();
    expect(await rows.first().textContent()).toContain('issue_comment.created');

    await rows.first().click();
    const detail = page.locator('#detail .detail');
    await detail.getByText('Discord requests').waitFor();
    await detail
      .getByText(/createMessage · ok/)
      .first()
      .waitFor();
    expect(await detail.textContent()).not.toContain('x-hub-signature-256');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('text from payloads is shown as text, never run as HTML', async () => {
    const page = await browser.newPage();
    await page.goto(`${bridge.url}/`);
    const attack = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> **bold**';
    const res = await post(bridge.url, 'issue_comment', commentPayload(9001, attack), bridge.secret);
    expect(res.status).toBe(202);

    await page.locator('.thread .msg .content', { hasText: 'onerror=' }).waitFor();
    await page.locator('tr.delivery').first().click();
    await page.locator('#detail .detail').getByText('Payload').waitFor();
    expect(await page.evaluate(() => 'pwned' in window || '__pwned' in window)).toBe(false);
    expect(await page.locator('#discord img, #detail img, #discord script').count()).toBe(0);
    expect(await page.locator('.thread .msg .content strong', { hasText: 'bold' }).count()).toBe(1);
    await page.close();
  });
});
