// Roombook browser tests: Debian's Chromium, driven by playwright-core.
//   node run.mjs FIXTURE_SERVER SITE_ROOT
// Starts the fixture server (the app with sample rooms), checks the pages with JavaScript
// (the islands hydrate: the live filters follow typing without reloading) and without it (the
// same pages work as plain HTML forms), measures each page's first-load weight, saves
// screenshots and page-weight.json under target/browser/, and ends with the line
// `N passed, N failed`.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

// axe-core (from npm, beside playwright-core), evaluated in the page over the DevTools
// protocol, which the page's Content-Security-Policy does not govern.
const axeSource = readFileSync(new URL('./node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');
/** Every axe-core violation on the page, as lines `rule: target (impact)`. */
async function axeViolations(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document));
  if (result.passes.length === 0) return ['axe-core checked no rule at all'];
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${v.impact})`));
}

const [fixture, siteRoot] = process.argv.slice(2);
if (!fixture || !siteRoot) {
  console.error('usage: node run.mjs FIXTURE_SERVER SITE_ROOT');
  process.exit(2);
}
const shots = resolve('target/browser');
mkdirSync(shots, { recursive: true });

const server = spawn(fixture, [siteRoot], { stdio: ['pipe', 'pipe', 'inherit'] });
const serverLines = createInterface({ input: server.stdout });
const base = await new Promise((ok, fail) => {
  const timer = setTimeout(() => fail(new Error('fixture server did not start in 60 s')), 60_000);
  serverLines.on('line', (line) => {
    const m = line.match(/^listening on (http:\/\/\S+)/);
    if (m) { clearTimeout(timer); ok(m[1]); }
  });
  server.on('exit', (code) => fail(new Error(`fixture server exited (${code})`)));
});
// Switches a fault of the simulated tenant and waits for the fixture server's `ok`.
function fault(command) {
  return new Promise((ok) => {
    const listener = (line) => { if (line === `ok ${command}`) { serverLines.off('line', listener); ok(); } };
    serverLines.on('line', listener);
    server.stdin.write(command + '\n');
  });
}

const results = [];
// ONLY=text runs the checks whose name contains it, and those marked { setup: true } that
// later checks depend on (sign-in and connecting the organisation).
const only = process.env.ONLY;
async function check(name, fn, { setup = false } = {}) {
  if (only && !setup && !name.includes(only)) return;
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

  await check('with JavaScript: a link loads the next page with its data, title and place in the navigation', async () => {
    // Links are ordinary page loads (the pages are server-rendered HTML around a few islands;
    // the wasm comes from the browser's cache): what the person sees must be the new page.
    const page = await withJs.newPage();
    await page.goto(base + '/');
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });
    assert(await page.locator('nav a[href="/admin"]').count() === 0, 'no Admin tab for a visitor');
    await Promise.all([page.waitForURL(/\/bookings$/), page.click('nav >> text=My bookings')]);
    await page.waitForSelector('text=Sign in to continue', { timeout: 10_000 });
    assert((await page.title()) === 'My bookings · Roombook', `title: ${await page.title()}`);
    const current = await page.getAttribute('nav a[href="/bookings"]', 'aria-current');
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
    for (const [path, text] of [['/admin', 'Sign in to continue'], ['/bookings', 'Sign in to continue'], ['/find', 'Sign in to continue'], ['/signin', 'Sign in with your work account']]) {
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

  // Sign-in and onboarding against the simulated tenant (Entra ID + Exchange).
  const signIn = async (context, email) => {
    const page = await context.newPage();
    await page.goto(base + '/signin');
    await Promise.all([page.waitForURL(/authorize/), page.click('a.button:has-text("Sign in with your work account")')]);
    await Promise.all([page.waitForURL((u) => u.toString().startsWith(base)), page.click(`a[data-user="${email}"]`)]);
    return page;
  };
  const statusOf = (page) => page.getAttribute('#connection-status', 'data-status');
  const onPrem = async (page, password, check) => {
    await page.goto(base + '/admin/connect/onprem');
    await page.fill('#username', 'svc-roombook@contoso.example');
    await page.fill('#password', password);
    await page.fill('#check_address', check);
    await Promise.all([page.waitForURL(/\/admin\/connect\/status/), page.click('button:has-text("Save and check")')]);
  };
  const consent = async (page, decision, landing = /\/admin\/connect\/status/) => {
    await page.goto(base + '/admin/connect/online');
    await Promise.all([page.waitForURL(/adminconsent/), page.click('button:has-text("Grant consent at Microsoft")')]);
    await Promise.all([page.waitForURL(landing), page.click(decision === 'accept' ? '#accept' : '#cancel')]);
  };
  let admin;

  await check('sign-in: before any admin, a person without a directory role waits with a sentence', async () => {
    const early = await signIn(withJs, 'bob@contoso.example');
    await early.waitForURL(/\/signin\?error=awaiting_admin/);
    const alert = await early.waitForSelector('[role="alert"]');
    assert((await alert.textContent()).includes('no Roombook administrator yet'), await alert.textContent());
    assert(!(await early.isVisible('button:has-text("Sign out")')), 'not signed in');
    await early.screenshot({ path: join(shots, 'signin-awaiting-admin.png'), fullPage: true });
    const violations = await axeViolations(early);
    assert(violations.length === 0, `axe-core: ${violations.join('; ')}`);
    // Keyboard alone: Tab reaches the sign-in button, Enter starts a sign-in.
    let focused = '';
    for (let i = 0; i < 15 && !focused.includes('Sign in with your work account'); i++) {
      await early.keyboard.press('Tab');
      focused = await early.evaluate(() => document.activeElement?.textContent ?? '');
    }
    assert(focused.includes('Sign in with your work account'), `focus never reached the button (${focused})`);
    await Promise.all([early.waitForURL(/authorize/), early.keyboard.press('Enter')]);
    await early.close();
  }, { setup: true });

  await check('sign-in: a Global Administrator of the directory becomes its first admin and lands in the set-up', async () => {
    admin = await signIn(withJs, 'alice@contoso.example');
    assert(new URL(admin.url()).pathname === '/admin/connect', `landed on ${admin.url()}`);
    await admin.waitForSelector('text=Exchange Server (on premises)');
    assert((await admin.textContent('header')).toLowerCase().includes('alice'), 'the header names the person');
    assert(await admin.isVisible('button:has-text("Sign out")'), 'sign-out is offered');
    await admin.screenshot({ path: join(shots, 'connect-choose.png'), fullPage: true });
    const violations = await axeViolations(admin);
    assert(violations.length === 0, `axe-core: ${violations.join('; ')}`);
  }, { setup: true });

  await check('Exchange Server: a wrong password is named, then the right one connects and rooms import', async () => {
    await onPrem(admin, 'not the password', 'alice@contoso.example');
    assert(await statusOf(admin) === 'wrong_password', `status ${await statusOf(admin)}`);
    assert((await admin.textContent('main')).includes('refused the user name or password'), 'explained');
    await admin.screenshot({ path: join(shots, 'connect-wrong-password.png'), fullPage: true });
    await onPrem(admin, 'Corr3ct-Horse-Battery-Staple!', 'alice@contoso.example');
    assert(await statusOf(admin) === 'healthy', `status ${await statusOf(admin)}`);
    await admin.screenshot({ path: join(shots, 'connect-healthy.png'), fullPage: true });
    await Promise.all([admin.waitForURL(/\/admin\/rooms/), admin.click('button:has-text("Import rooms")')]);
    const text = await admin.textContent('main');
    assert(text.includes('Import finished') && text.includes('Alpha') && text.includes('Gamma'), text.slice(0, 400));
    await admin.screenshot({ path: join(shots, 'admin-rooms.png'), fullPage: true });
  }, { setup: true });

  await check('Exchange Server: an expired password and an admin address without a mailbox are named', async () => {
    await fault('expire-password on');
    await onPrem(admin, 'Corr3ct-Horse-Battery-Staple!', 'alice@contoso.example');
    assert(await statusOf(admin) === 'password_expired', `status ${await statusOf(admin)}`);
    await fault('expire-password off');
    await onPrem(admin, '', 'contractor@contoso.example');
    assert(await statusOf(admin) === 'no_mailbox', `status ${await statusOf(admin)}`);
    assert((await admin.textContent('main')).includes('has no mailbox for contractor@contoso.example'), 'explained');
  });

  await check('Exchange Online: consent refused is named, and the working connection stays', async () => {
    // The organisation already has a connection (Exchange Server, above): a refused consent
    // must not replace it; the form says so.
    await consent(admin, 'cancel', /\/admin\/connect\/online/);
    const text = await admin.textContent('main');
    assert(text.includes('Consent was refused or cancelled') && text.includes('unchanged'), text.slice(0, 400));
    await admin.screenshot({ path: join(shots, 'consent-refused.png'), fullPage: true });
    await admin.goto(base + '/admin/connect/status');
    assert(await statusOf(admin) !== 'consent_refused', `status ${await statusOf(admin)}`);
  });

  await check('Exchange Online: consent not yet in effect, then healthy by itself', async () => {
    await consent(admin, 'accept');
    assert(await statusOf(admin) === 'consent_pending', `status ${await statusOf(admin)}`);
    assert((await admin.textContent('main')).includes('checks again by itself'), 'the next try is shown');
    await admin.screenshot({ path: join(shots, 'consent-pending.png'), fullPage: true });
    const deadline = Date.now() + 30_000;
    while (await statusOf(admin) !== 'healthy') {
      assert(Date.now() < deadline, 'consent never took effect');
      await admin.waitForTimeout(1000);
      await admin.reload();
    }
  });

  await check('Exchange Online: EWS blocked for the app shows the allow-list commands', async () => {
    await fault('block-app on');
    await consent(admin, 'accept');
    // A fresh consent first waits for Exchange (3 s here); then the block shows.
    const deadline = Date.now() + 30_000;
    while (await statusOf(admin) === 'consent_pending') {
      assert(Date.now() < deadline, 'still pending');
      await admin.waitForTimeout(1000);
      await admin.reload();
    }
    assert(await statusOf(admin) === 'ews_blocked', `status ${await statusOf(admin)}`);
    assert((await admin.textContent('pre.commands')).includes('Set-OrganizationConfig'), 'commands shown');
    await admin.screenshot({ path: join(shots, 'ews-blocked.png'), fullPage: true });
    await fault('block-app off');
  });

  await check('without JavaScript: sign in and connect Exchange Server with plain forms', async () => {
    const page = await signIn(withoutJs, 'alice@contoso.example');
    await onPrem(page, 'Corr3ct-Horse-Battery-Staple!', 'alice@contoso.example');
    assert(await statusOf(page) === 'healthy', `status ${await statusOf(page)}`);
    await page.goto(base + '/admin/audit');
    assert((await page.textContent('main')).includes('connection.service_account'), 'the audit log lists it');
    await page.screenshot({ path: join(shots, 'audit-no-js.png'), fullPage: true });
    await page.close();
  });
  // Booking, as an employee, against the connected organisation (alice connected it above).
  const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
  const statusOfBooking = (page) => page.getAttribute('[data-testid=booking-status]', 'data-status');
  const bobJs = await browser({ viewport: { width: 1100, height: 800 } });
  const bobNoJs = await browser({ javaScriptEnabled: false, viewport: { width: 1100, height: 800 } });
  const freeNames = (page) => page.$$eval('[data-testid=free-rooms] h3', (hs) => hs.map((h) => h.textContent));

  await check('booking with JavaScript: find as you type, book, see accepted, change, cancel', async () => {
    await fault('room-seats');
    const page = await signIn(bobJs, 'bob@contoso.example');
    await page.goto(`${base}/find?date=${tomorrow}&start=10:00&minutes=60&tz=UTC`);
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });
    await page.waitForSelector('[data-testid=free-rooms]');
    assert(JSON.stringify(await freeNames(page)) === '["Beta","Alpha","Gamma"]', `best fit first: ${await freeNames(page)}`);
    await page.evaluate(() => { window.__sameDocument = true; });
    await page.locator('#f-people').pressSequentially('10', { delay: 40 });
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=free-rooms] h3').length === 1, null, { timeout: 15_000 });
    assert(JSON.stringify(await freeNames(page)) === '["Gamma"]', `filtered: ${await freeNames(page)}`);
    assert(await page.evaluate(() => window.__sameDocument === true), 'the finder reloaded the page');
    await page.screenshot({ path: join(shots, 'find.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/book\?/), page.click('a[aria-label="Book Gamma"]')]);
    await page.fill('#b-subject', 'Quarterly planning');
    await page.screenshot({ path: join(shots, 'book-form.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/bookings\/[0-9a-f-]+$/), page.click('button:has-text("Book Gamma")')]);
    await page.waitForSelector('[data-testid=booking-status]');
    assert(await statusOfBooking(page) === 'accepted', `status ${await statusOfBooking(page)}`);
    await page.screenshot({ path: join(shots, 'booking-accepted.png'), fullPage: true });
    await page.fill('#c-start', '11:00');
    await Promise.all([page.waitForURL(/done=changed/), page.click('button:has-text("Change time")')]);
    await page.waitForSelector('[data-testid=booking-status]');
    assert((await page.textContent('main')).includes('11:00–12:00'), 'the new time is shown');
    assert(await statusOfBooking(page) === 'accepted', `after the change: ${await statusOfBooking(page)}`);
    // Cancelling asks first (a page of its own, so it works without JavaScript).
    await Promise.all([page.waitForURL(/confirm=cancel/), page.click('a:has-text("Cancel this booking")')]);
    assert(await page.evaluate(() => document.activeElement?.id) === 'cancel-h', 'the question has the focus');
    assert((await page.textContent('[data-testid=cancel-form]')).includes('Quarterly planning'), 'the question names the meeting');
    await page.screenshot({ path: join(shots, 'booking-cancel-confirm.png'), fullPage: true });
    await Promise.all([page.waitForURL(/done=cancelled/), page.click('button:has-text("Yes, cancel it")')]);
    await page.waitForSelector('[data-testid=booking-status]');
    assert(await statusOfBooking(page) === 'cancelled', `after cancelling: ${await statusOfBooking(page)}`);
    await page.screenshot({ path: join(shots, 'booking-cancelled.png'), fullPage: true });
    await page.close();
  });

  await check('booking: a room that declines and a room whose rules refuse are explained', async () => {
    await fault('exchange-limits-beta');
    await fault('roombook-limits-gamma');
    const page = await bobJs.newPage();
    await page.goto(`${base}/find?date=${tomorrow}&start=15:00&minutes=90&tz=UTC`);
    await page.waitForSelector('[data-testid=free-rooms]');
    assert(!(await freeNames(page)).includes('Gamma'), 'Gamma (60 minutes at most) is not offered for 90');
    assert((await page.textContent('main')).includes('do not take this booking'), 'and the finder says why');
    await Promise.all([page.waitForURL(/\/book\?/), page.click('a[aria-label="Book Beta"]')]);
    await Promise.all([page.waitForURL(/\/bookings\/[0-9a-f-]+$/), page.click('button:has-text("Book Beta")')]);
    assert(await statusOfBooking(page) === 'declined', `status ${await statusOfBooking(page)}`);
    assert((await page.textContent('[data-testid=booking-reason]')).includes('booking rules'), 'the reason is given');
    await page.screenshot({ path: join(shots, 'booking-declined.png'), fullPage: true });
    const gamma = await page.evaluate(async (b) => {
      const html = await (await fetch(b + '/find?date=' + new Date(Date.now() + 86_400_000).toISOString().slice(0, 10) + '&start=09:00&minutes=30&tz=UTC')).text();
      return html.match(/\/book\?room=([0-9a-f-]+)[^"]*"[^>]*aria-label="Book Gamma"/)?.[1];
    }, base);
    assert(gamma, 'Gamma is offered for 30 minutes');
    await page.goto(`${base}/book?room=${gamma}&date=${tomorrow}&start=15:00&minutes=120&tz=UTC`);
    // The browser itself stops it (the field's maximum is the room's)…
    await page.click('button:has-text("Book Gamma")');
    assert(await page.$eval('#b-minutes', (el) => el.validity.rangeOverflow), 'the browser flags the length');
    assert(new URL(page.url()).pathname === '/book', 'nothing was submitted');
    // …and a browser that does not is refused by the server, before anything is sent.
    await page.$eval('#b-minutes', (el) => el.removeAttribute('max'));
    await page.fill('#b-subject', 'Salary review');
    await page.fill('#b-note', 'Private note');
    const [answer] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.click('button:has-text("Book Gamma")')]);
    await page.waitForSelector('[data-testid=book-error]');
    assert(answer.status() === 422 && !answer.headers().location, `answered ${answer.status()} ${answer.headers().location}`);
    assert((await page.textContent('[data-testid=book-error]')).includes('at most 1 hour'), 'refused before sending, with the rule');
    assert(await page.inputValue('#b-minutes') === '120', 'the input is kept');
    assert(await page.inputValue('#b-subject') === 'Salary review' && await page.inputValue('#b-note') === 'Private note', 'subject and note kept');
    assert(!/Salary|Private|subject|note/.test(page.url()), `typed content in the URL: ${page.url()}`);
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });
    await page.screenshot({ path: join(shots, 'booking-refused.png'), fullPage: true });
    await page.close();
  });

  await check('finder and day view with JavaScript: typing key by key keeps the field, its focus and what was typed', async () => {
    await fault('room-seats');
    // Bob is signed in when the booking checks ran before (not with ONLY=…).
    const probe = await bobJs.newPage();
    await probe.goto(base + '/signin');
    const signedIn = (await probe.textContent('main')).includes('You are signed in');
    await probe.close();
    const page = signedIn ? await bobJs.newPage() : await signIn(bobJs, 'bob@contoso.example');
    const searches = [];
    page.on('request', (r) => { if (/\/api\/rooms\/(free|day)/.test(r.url())) searches.push(decodeURIComponent(r.postData() || r.url())); });
    // As a link from elsewhere opens it: no time zone in the address (the field has the default).
    await page.goto(`${base}/find?date=${tomorrow}&start=10:00&minutes=60`);
    await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });
    await page.waitForSelector('[data-testid=free-rooms]');
    const before = searches.length;
    await page.locator('#f-people').pressSequentially('12', { delay: 120 });
    await page.waitForTimeout(300);
    assert(await page.inputValue('#f-people') === '12', `People shows ${await page.inputValue('#f-people')}`);
    assert(await page.evaluate(() => document.activeElement?.id) === 'f-people', `focus on ${await page.evaluate(() => document.activeElement?.id)}`);
    await page.waitForFunction(() => JSON.stringify([...document.querySelectorAll('[data-testid=free-rooms] h3')].map((h) => h.textContent)) === '["Gamma"]', null, { timeout: 15_000 });
    assert(new URL(page.url()).searchParams.get('people') === '12', page.url());
    // A date typed key by key: the browser reports 0002-…, 0020-…, 0202-… on the way.
    const day = new Date(Date.now() + 2 * 86_400_000);
    const iso = day.toISOString().slice(0, 10);
    const [y, m, d] = iso.split('-');
    await page.locator('#f-date').focus();
    await page.keyboard.type(`${m}${d}${y}`, { delay: 120 });
    await page.waitForFunction((want) => new URL(location.href).searchParams.get('date') === want, iso, { timeout: 15_000 });
    assert(await page.inputValue('#f-date') === iso, `Date shows ${await page.inputValue('#f-date')}`);
    assert(await page.evaluate(() => document.activeElement?.id) === 'f-date', `focus on ${await page.evaluate(() => document.activeElement?.id)}`);
    await page.waitForFunction(() => document.querySelector('#free-h')?.textContent.length > 0, null, { timeout: 15_000 });
    await page.waitForTimeout(500);
    const typed = searches.slice(before);
    assert(!typed.some((q) => /date\]?=0\d{3}-/.test(q)), `a half-typed date was searched: ${typed.join(' | ')}`);
    assert(typed.length <= 3, `one search per pause, not per key: ${typed.length} searches`);
    assert(await page.inputValue('#f-people') === '12', 'People kept');
    await page.screenshot({ path: join(shots, 'find-typed.png'), fullPage: true });

    await page.goto(`${base}/day`);
    await page.waitForSelector('[data-testid=day-grid]');
    const beforeDay = searches.length;
    await page.locator('#f-people').pressSequentially('12', { delay: 120 });
    await page.locator('#d-date').focus();
    await page.keyboard.type(`${m}${d}${y}`, { delay: 120 });
    await page.waitForFunction((want) => new URL(location.href).searchParams.get('date') === want, iso, { timeout: 15_000 });
    await page.waitForTimeout(500);
    assert(await page.inputValue('#d-date') === iso, `Date shows ${await page.inputValue('#d-date')}`);
    assert(await page.inputValue('#f-people') === '12', `People shows ${await page.inputValue('#f-people')}`);
    assert(await page.evaluate(() => document.activeElement?.id) === 'd-date', 'focus kept');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=day-grid] tbody tr').length === 1, null, { timeout: 15_000 });
    const dayTyped = searches.slice(beforeDay);
    assert(!dayTyped.some((q) => /date\]?=0\d{3}-/.test(q)), `a half-typed date was searched: ${dayTyped.join(' | ')}`);
    assert(dayTyped.length <= 3, `one search per pause: ${dayTyped.length}`);
    await page.screenshot({ path: join(shots, 'day-typed.png'), fullPage: true });
    await page.close();
  });

  await check('booking without JavaScript: the day grid links to the form, and it books', async () => {
    const page = await signIn(bobNoJs, 'bob@contoso.example');
    await page.goto(`${base}/day?date=${tomorrow}&tz=UTC`);
    await page.waitForSelector('[data-testid=day-grid]');
    await page.screenshot({ path: join(shots, 'day-grid-no-js.png'), fullPage: true });
    await Promise.all([page.waitForURL(/\/book\?/), page.getByRole('link', { name: /^Free\W+book Alpha at 13:00 for 30 minutes$/ }).click({ timeout: 10_000 })]);
    await Promise.all([page.waitForURL(/\/bookings\/[0-9a-f-]+$/), page.click('button:has-text("Book Alpha")')]);
    assert(await statusOfBooking(page) === 'accepted', `status ${await statusOfBooking(page)}`);
    await page.goto(`${base}/day?date=${tomorrow}&tz=UTC`);
    assert(await page.locator('td.busy', { hasText: /Busy\W+Alpha at 13:00/ }).count() === 1, 'the grid shows the booking');
    await page.goto(`${base}/bookings`);
    assert((await page.textContent('main')).includes('Booked: the room accepted'), 'my bookings list it');
    await page.close();
  });

  await check('the Admin tab is for admins only, Skip to content moves the focus, and the focus ring stands out (3:1), light and dark', async () => {
    const page = await bobJs.newPage();
    await page.goto(base + '/find');
    assert(await page.locator('nav a[href="/admin"]').count() === 0, 'an employee sees no Admin tab');
    await page.close();
    const own = await admin.context().newPage();
    await own.goto(base + '/');
    assert(await own.locator('nav a[href="/admin"]').count() === 1, 'an admin sees the Admin tab');
    // "Skip to content" moves the keyboard focus to the page's content.
    await own.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });
    await own.keyboard.press('Tab');
    await own.keyboard.press('Enter');
    await own.waitForFunction(() => document.activeElement?.id === 'main', null, { timeout: 5_000 });
    const luminance = (rgb) => {
      const [r, g, b] = rgb.match(/[\d.]+/g).slice(0, 3).map((v) => {
        const c = Number(v) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const contrast = (a, b) => {
      const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
      return (hi + 0.05) / (lo + 0.05);
    };
    for (const colorScheme of ['light', 'dark']) {
      await own.emulateMedia({ colorScheme });
      await own.goto(base + '/');
      // The skip link, then the brand: a keyboard focus, so :focus-visible applies.
      await own.keyboard.press('Tab');
      await own.keyboard.press('Tab');
      const ring = await own.evaluate(() => {
        const style = getComputedStyle(document.activeElement);
        return { style: style.outlineStyle, color: style.outlineColor, width: parseFloat(style.outlineWidth),
          page: getComputedStyle(document.querySelector('.topbar')).backgroundColor };
      });
      assert(ring.style !== 'none' && ring.width >= 2, `${colorScheme}: a visible ring: ${JSON.stringify(ring)}`);
      const ratio = contrast(ring.color, ring.page);
      assert(ratio >= 3, `${colorScheme}: focus ring ${ring.color} on ${ring.page} is ${ratio.toFixed(2)}:1`);
      console.log(`     ${colorScheme}: focus ring ${ratio.toFixed(1)}:1 against the bar behind it`);
    }
    await own.screenshot({ path: join(shots, 'focus-dark.png') });
    await own.close();
  });

  // A page of this context signed in as `email` (signing in when it is not).
  const signedInPage = async (context, email) => {
    const probe = await context.newPage();
    await probe.goto(base + '/signin');
    const already = (await probe.textContent('main')).includes('You are signed in');
    await probe.close();
    return already ? context.newPage() : signIn(context, email);
  };
  const hydrated = (page) => page.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });

  await check('keyboard only: a room is booked from the day view in at most 40 key presses', async () => {
    const page = await signedInPage(bobJs, 'bob@contoso.example');
    const later = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    await page.goto(`${base}/day?date=${later}&tz=UTC`);
    await hydrated(page);
    const keys = [];
    const press = async (key) => { keys.push(key); await page.keyboard.press(key); };
    const focused = () => page.evaluate(() => {
      const el = document.activeElement;
      return { id: el?.id ?? '', cell: el?.getAttribute('data-cell') ?? '', text: el?.textContent ?? '', tag: el?.tagName ?? '' };
    });
    // Skip to content, then Tab through the filters to the grid: one tab stop.
    await press('Tab');
    await press('Enter');
    let at = await focused();
    while (!at.cell && keys.length < 40) { await press('Tab'); at = await focused(); }
    assert(at.cell === '0-1', `the grid's tab stop is its first time of the first room, got ${JSON.stringify(at)}`);
    const tabsToGrid = keys.length;
    // The last room (Ctrl+End, Home), then right to 10:00 (or the first free time after it).
    await press('Control+End');
    await press('Home');
    const column = await page.$$eval('[data-testid=day-grid] thead th', (ths) => ths.findIndex((th) => th.textContent === '10:00'));
    assert(column > 0, 'the grid has a 10:00 column');
    for (let i = 0; i < column; i++) await press('ArrowRight');
    at = await focused();
    while (!at.text.startsWith('Free') && keys.length < 40) { await press('ArrowRight'); at = await focused(); }
    const lastRoom = await page.$$eval('[data-testid=day-grid] tbody th', (ths) => ths.at(-1).firstChild.textContent);
    assert(at.tag === 'A' && at.text.includes(`book ${lastRoom} at 1`), `a free time of ${lastRoom} is focused: ${JSON.stringify(at)}`);
    // The page has one tab stop in the grid, not one per free cell.
    const stops = await page.$$eval('[data-testid=day-grid] [tabindex="0"]', (els) => els.length);
    assert(stops === 1, `${stops} tab stops in the grid`);
    await Promise.all([page.waitForURL(/\/book\?/), press('Enter')]);
    await hydrated(page);
    await press('Tab');
    await press('Enter');
    at = await focused();
    while (at.id !== 'b-subject' && keys.length < 60) { await press('Tab'); at = await focused(); }
    await Promise.all([page.waitForURL(/\/bookings\/[0-9a-f-]+$/), press('Enter')]);
    assert(await statusOfBooking(page) === 'accepted', `status ${await statusOfBooking(page)}`);
    console.log(`     ${keys.length} key presses (${tabsToGrid} to reach the grid): ${keys.join(' ')}`);
    assert(keys.length <= 40, `${keys.length} key presses`);
    await page.close();
  });

  await check('axe-core: every page, in every mode (desktop, phone, dark, no JavaScript), has no serious or critical violation', async () => {
    const find = await signedInPage(bobJs, 'bob@contoso.example');
    await find.goto(`${base}/find?date=${tomorrow}&start=10:00&minutes=30&tz=UTC`);
    const book = new URL(await find.getAttribute('[data-testid=free-rooms] a.button', 'href'), base);
    await find.goto(base + '/bookings');
    const detail = await (await find.$('a[href^="/bookings/"]'))?.getAttribute('href');
    await find.close();
    const pages = {
      visitor: ['/', '/signin', '/find', '/day', '/bookings', '/admin', '/nowhere'],
      employee: ['/', `/find?date=${tomorrow}&start=10:00&minutes=30&tz=UTC`, `/day?date=${tomorrow}&tz=UTC`,
        book.pathname + book.search, '/bookings', ...(detail ? [detail] : []), '/signin', '/admin'],
      admin: ['/admin', '/admin/connect', '/admin/connect/onprem', '/admin/connect/online', '/admin/connect/status',
        '/admin/rooms', '/admin/people', '/admin/audit'],
    };
    const email = { employee: 'bob@contoso.example', admin: 'alice@contoso.example' };
    const found = [];
    let scans = 0;
    // axe-core needs script in the page, so "no JavaScript" is the app's own code refused at
    // the network: the page is the server's HTML and forms, never hydrated.
    for (const who of Object.keys(pages)) {
      const context = await browser({ viewport: { width: 1100, height: 800 } });
      const page = who === 'visitor' ? await context.newPage() : await signedInPage(context, email[who]);
      for (const mode of ['desktop', 'phone', 'dark', 'no JavaScript']) {
        await page.setViewportSize(mode === 'phone' ? { width: 375, height: 740 } : { width: 1100, height: 800 });
        await page.emulateMedia({ colorScheme: mode === 'dark' ? 'dark' : 'light' });
        if (mode === 'no JavaScript') await page.route(/\/pkg\/.*\.(js|wasm)$/, (route) => route.abort());
        for (const path of pages[who]) {
          if (process.env.AXE_TRACE) console.log(`     scanning ${who} ${mode} ${path}`);
          await page.goto(base + path);
          if (mode !== 'no JavaScript') await hydrated(page);
          scans++;
          found.push(...(await axeViolations(page)).filter((v) => /\((serious|critical)\)$/.test(v))
            .map((v) => `${who} ${mode} ${path.replace(/\?.*/, '')}: ${v}`));
        }
      }
      await context.close();
    }
    const rules = [...new Set(found.map((v) => v.split(': ')[1]))];
    console.log(`     ${scans} scans, ${found.length} serious or critical nodes${rules.length ? ': ' + rules.join(', ') : ''}`);
    assert(found.length === 0, found.slice(0, 10).join(' | '));
  });

  await check('page weight: an employee\'s first load is at most 250 KB (compressed: HTML + JS + wasm + CSS)', async () => {
    // Bytes on the wire (compressed bodies and headers) of a first visit with an empty cache,
    // per page, by kind. Written to target/browser/page-weight.json; the README reports them.
    const find = await signedInPage(bobJs, 'bob@contoso.example');
    await find.goto(`${base}/find?date=${tomorrow}&start=10:00&minutes=30&tz=UTC`);
    const bookPath = new URL(await find.getAttribute('[data-testid=free-rooms] a.button', 'href'), base);
    await find.close();
    const employeePages = ['/', `/find?date=${tomorrow}&start=10:00&minutes=30&tz=UTC`, `/day?date=${tomorrow}&tz=UTC`,
      bookPath.pathname + bookPath.search, '/bookings'];
    const adminPages = ['/admin', '/admin/rooms', '/admin/people', '/admin/audit'];
    const weights = [];
    const wasmEncodings = new Set();
    for (const [who, context, paths] of [['employee', bobJs, employeePages], ['admin', admin.context(), adminPages]]) {
      for (const path of paths) {
        const page = await context.newPage();
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
        const kinds = new Map();
        const bytes = { html: 0, js: 0, wasm: 0, css: 0, other: 0 };
        cdp.on('Network.responseReceived', (e) => {
          const type = e.response.mimeType;
          if (type.includes('wasm')) wasmEncodings.add(Object.entries(e.response.headers).find(([k]) => k.toLowerCase() === 'content-encoding')?.[1] ?? 'none');
          kinds.set(e.requestId, type.includes('html') ? 'html' : type.includes('javascript') ? 'js'
            : type.includes('wasm') ? 'wasm' : type.includes('css') ? 'css' : 'other');
        });
        cdp.on('Network.loadingFinished', (e) => { bytes[kinds.get(e.requestId) ?? 'other'] += e.encodedDataLength; });
        await page.goto(base + path);
        await page.waitForSelector('html[data-hydrated="true"]', { timeout: 20_000 });
        await page.waitForLoadState('networkidle');
        const total = Object.values(bytes).reduce((a, b) => a + b, 0);
        weights.push({ who, path: path.replace(/\?.*/, ''), total, ...bytes });
        await page.close();
      }
    }
    writeFileSync(join(shots, 'page-weight.json'), JSON.stringify(weights, null, 2));
    for (const w of weights) {
      console.log(`     ${w.who.padEnd(8)} ${w.path.padEnd(24)} ${(w.total / 1024).toFixed(1).padStart(6)} KB  (html ${(w.html / 1024).toFixed(1)}, js ${(w.js / 1024).toFixed(1)}, wasm ${(w.wasm / 1024).toFixed(1)}, css ${(w.css / 1024).toFixed(1)}, other ${(w.other / 1024).toFixed(1)})`);
    }
    console.log(`     the wasm came as: ${[...wasmEncodings].join(', ')}`);
    assert(wasmEncodings.size === 1 && wasmEncodings.has('br'), `the wasm is sent pre-compressed with Brotli: ${[...wasmEncodings]}`);
    const heavy = weights.filter((w) => w.who === 'employee' && w.total > 250 * 1024);
    assert(heavy.length === 0, `over 250 KB: ${heavy.map((w) => `${w.path} ${(w.total / 1024).toFixed(1)} KB`).join(', ')}`);
    assert(weights.every((w) => w.wasm > 0 && w.html > 0), 'every page loaded its HTML and the wasm (the measure saw them)');
  });

  await check('on a phone: the finder fits the screen and the grid scrolls inside its box', async () => {
    const page = await bobJs.newPage();
    await page.setViewportSize({ width: 375, height: 740 });
    for (const path of [`/find?date=${tomorrow}&start=10:00&minutes=30&tz=UTC`, `/day?date=${tomorrow}&tz=UTC`]) {
      await page.goto(base + path);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `${path} is ${overflow}px wider than the screen`);
    }
    await page.screenshot({ path: join(shots, 'day-grid-phone.png'), fullPage: true });
    await page.close();
  });
  await bobJs.close();
  await bobNoJs.close();
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
