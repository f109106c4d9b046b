// Roombook browser tests: Debian's Chromium, driven by playwright-core.
//   node run.mjs FIXTURE_SERVER SITE_ROOT
// Starts the fixture server (the app with sample rooms), checks the pages with JavaScript
// (hydration works: filtering and navigation happen without reloading) and without it (the
// same pages work as plain HTML forms), saves screenshots under target/browser/, and ends
// with the line `N passed, N failed`.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

const [fixture, siteRoot] = process.argv.slice(2);
if (!fixture || !siteRoot) {
  console.error('usage: node run.mjs FIXTURE_SERVER SITE_ROOT');
  process.exit(2);
}
const shots = resolve('target/browser');
mkdirSync(shots, { recursive: true });

const server = spawn(fixture, [siteRoot], { stdio: ['pipe', 'pipe', 'inherit'] });
const base = await new Promise((ok, fail) => {
  const timer = setTimeout(() => fail(new Error('fixture server did not start in 60 s')), 60_000);
  createInterface({ input: server.stdout }).on('line', (line) => {
    const m = line.match(/^listening on (http:\/\/\S+)/);
    if (m) { clearTimeout(timer); ok(m[1]); }
  });
  server.on('exit', (code) => fail(new Error(`fixture server exited (${code})`)));
});

const results = [];
async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push([name, true]);
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push([name, false]);
    console.log(`FAIL ${name}\n     ${String(e.stack || e).split('\n').slice(0, 4).join('\n     ')}`);
  }
}
function assert(cond, message) { if (!cond) throw new Error(message); }

const profiles = [];
async function browser(options = {}) {
  // Playwright refuses --user-data-dir in launch(): a persistent context on a fresh folder.
  const dir = mkdtempSync(join(tmpdir(), 'roombook-chromium-'));
  profiles.push(dir);
  return chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ...options,
  });
}
const roomNames = (page) => page.$$eval('.room h2', (hs) => hs.map((h) => h.textContent));

let withJs, withoutJs;
try {
  withJs = await browser({ viewport: { width: 1100, height: 800 } });
  withoutJs = await browser({ javaScriptEnabled: false, viewport: { width: 1100, height: 800 } });

  await check('with JavaScript: the page hydrates without errors', async () => {
    const page = await withJs.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    await page.goto(base + '/');
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });
    assert(errors.length === 0, `errors in the page: ${errors.join(' | ')}`);
    assert((await roomNames(page)).length === 5, 'five rooms listed');
    await page.screenshot({ path: join(shots, 'rooms.png'), fullPage: true });
    await page.close();
  });

  await check('with JavaScript: the list filters as you type, without reloading', async () => {
    const page = await withJs.newPage();
    await page.goto(base + '/');
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.locator('#room-q').pressSequentially('harb', { delay: 40 });
    await page.waitForFunction(() => document.querySelectorAll('.room').length === 1, null, { timeout: 10_000 });
    assert(JSON.stringify(await roomNames(page)) === '["Harbour"]', `got ${await roomNames(page)}`);
    assert(page.url().endsWith('/?q=harb'), `URL follows the filter: ${page.url()}`);
    assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
    await page.fill('#room-q', '');
    await page.locator('#room-people').pressSequentially('7');
    await page.waitForFunction(() => document.querySelectorAll('.room').length === 3, null, { timeout: 10_000 });
    assert(JSON.stringify(await roomNames(page)) === '["Harbour","Boardroom","Atrium"]', `best fit first: ${await roomNames(page)}`);
    await page.screenshot({ path: join(shots, 'rooms-filtered.png'), fullPage: true });
    await page.close();
  });

  await check('with JavaScript: navigation is client-side and loads data', async () => {
    const page = await withJs.newPage();
    await page.goto(base + '/');
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.click('nav >> text=Admin');
    await page.waitForSelector('text=Demo organisation', { timeout: 10_000 });
    assert(await page.evaluate(() => window.__sameDocument === true), 'the page was reloaded');
    assert((await page.title()) === 'Admin · Roombook', `title: ${await page.title()}`);
    const current = await page.getAttribute('nav a[href="/admin"]', 'aria-current');
    assert(current === 'page', 'the current page is marked in the navigation');
    await page.screenshot({ path: join(shots, 'admin.png'), fullPage: true });
    await page.close();
  });

  await check('without JavaScript: rooms render and the filter is a plain form', async () => {
    const page = await withoutJs.newPage();
    await page.goto(base + '/');
    assert((await roomNames(page)).length === 5, 'five rooms listed');
    await page.fill('#room-q', 'south');
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    assert(JSON.stringify(await roomNames(page)) === '["Harbour","Lighthouse"]', `got ${await roomNames(page)}`);
    assert(new URL(page.url()).searchParams.get('q') === 'south', page.url());
    await page.screenshot({ path: join(shots, 'rooms-no-js.png'), fullPage: true });
    await page.close();
  });

  await check('without JavaScript: every page renders its data', async () => {
    const page = await withoutJs.newPage();
    for (const [path, text] of [['/admin', 'Demo organisation'], ['/bookings', 'You have no upcoming bookings.'], ['/signin', 'Sign in']]) {
      const response = await page.goto(base + path);
      assert(response.status() === 200, `${path}: ${response.status()}`);
      assert((await page.textContent('main')).includes(text), `${path} shows “${text}”`);
    }
    const missing = await page.goto(base + '/nowhere');
    assert(missing.status() === 404, 'unknown page is 404');
    await page.close();
  });

  await check('on a phone: the layout fits the screen', async () => {
    const page = await withJs.newPage();
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(base + '/');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(shots, 'rooms-phone.png'), fullPage: true });
    await page.close();
  });
} catch (e) {
  results.push(['browser start', false]);
  console.log(`FAIL browser start: ${e.stack || e}`);
} finally {
  await withJs?.close();
  await withoutJs?.close();
  server.stdin.end();
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
}

const passed = results.filter(([, ok]) => ok).length;
const failed = results.length - passed;
console.log(`screenshots: ${shots}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
