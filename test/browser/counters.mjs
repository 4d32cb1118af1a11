// Browser tests for the counters page: headless Chromium (playwright-core,
// the system's /usr/bin/chromium) against the real ringserver binary and a
// private redis-server. Each test starts its own Redis and server, so the
// counts start at zero and the expected values are exact.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILED_HANDSHAKE, launchChromium } from '../lib/browser.mjs';

import {
    DEFAULT_TIMEOUT_MS,
    STATS_CHANNEL,
    httpGet,
    pageProp,
    startRedis,
    startServer,
    waitFor,
} from '../lib/harness.mjs';

let browser;

before(async () => {
    browser = await launchChromium();
});

after(async () => {
    if (browser) {
        await browser.close();
    }
});

// Per test: cleanup steps, run last-registered first when the test ends,
// so pages close before the server stops and the server before Redis.
const cleanups = new WeakMap();

function defer(t, step) {
    let steps = cleanups.get(t);
    if (!steps) {
        steps = [];
        cleanups.set(t, steps);
        t.after(async () => {
            for (const next of steps.reverse()) {
                await next();
            }
        });
    }
    steps.push(step);
}

// Starts a private Redis and a ringserver using it, both stopped at the end
// of test `t`.
async function startStack(t) {
    const redis = await startRedis();
    defer(t, () => redis.stop());
    const server = await startServer({ redisUrl: redis.url });
    defer(t, () => server.stop());
    return { redis, server };
}

async function newContext(t, options = {}) {
    const context = await browser.newContext(options);
    defer(t, () => context.close());
    return context;
}

// Opens `url` in a new page of `context`. The returned `errors` collects
// every console error and uncaught page error, and `navigations` counts the
// main frame's navigations after the first load.
async function openPage(context, url) {
    const page = await context.newPage();
    const opened = { page, errors: [], navigations: 0 };
    page.on('console', (message) => {
        if (message.type() === 'error') {
            opened.errors.push(message.text());
        }
    });
    page.on('pageerror', (err) => {
        opened.errors.push(`uncaught: ${err.message}`);
    });

    const response = await page.goto(url);
    assert.equal(response.status(), 200, `GET ${url} status`);
    page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) {
            opened.navigations++;
        }
    });
    return opened;
}

// Returns the numbers the page shows now, as strings ('' when missing).
function readCounts(page) {
    return page.evaluate(() => {
        const text = (prop) => {
            const element = document.querySelector(`[data-prop="${prop}"]`);
            return element ? element.textContent.trim() : '';
        };
        return { total: text('total'), active: text('active') };
    });
}

// Waits until the page shows exactly `expected` ({total, active}).
async function waitCounts(opened, expected, what) {
    const wanted = {
        total: String(expected.total),
        active: String(expected.active),
    };
    let last = null;
    try {
        await waitFor(async () => {
            last = await readCounts(opened.page);
            return last.total === wanted.total && last.active === wanted.active;
        }, what);
    } catch (err) {
        assert.fail(`${what}: expected ${JSON.stringify(wanted)}, page ` +
            `shows ${JSON.stringify(last)} (${err.message})`);
    }
}

// Waits until <html data-ring-state> is `state`.
async function waitRingState(opened, state) {
    try {
        await opened.page.waitForFunction(
            (expected) => document.documentElement.dataset.ringState ===
                expected,
            state, { timeout: DEFAULT_TIMEOUT_MS });
    } catch (err) {
        const shown = await opened.page.evaluate(
            () => document.documentElement.dataset.ringState);
        assert.fail(`data-ring-state: expected "${state}", page shows ` +
            `"${shown}" (${err.message})`);
    }
}

// Sets a marker on the page's window. The marker survives only if the page
// does not reload.
async function markWindow(opened) {
    await opened.page.evaluate(() => {
        window.ringTestMarker = 'still here';
    });
}

async function assertNotReloaded(opened, what) {
    const marker = await opened.page.evaluate(() => window.ringTestMarker);
    assert.equal(marker, 'still here', `${what}: window marker lost`);
    assert.equal(opened.navigations, 0, `${what}: page navigated`);
}

test('counters update live as pages open and close', async (t) => {
    const { server } = await startStack(t);
    const contextA = await newContext(t);
    const pageA = await openPage(contextA, `${server.url}/`);
    await waitRingState(pageA, 'open');
    await waitCounts(pageA, { total: 1, active: 1 },
        'page A after its own load and socket');
    await markWindow(pageA);

    const contextB = await newContext(t);
    const pageB = await openPage(contextB, `${server.url}/`);
    await waitRingState(pageB, 'open');
    await waitCounts(pageB, { total: 2, active: 2 }, 'page B after load');
    await waitCounts(pageA, { total: 2, active: 2 },
        'page A after page B opened');
    await assertNotReloaded(pageA, 'page A after page B opened');

    await contextB.close();
    await waitCounts(pageA, { total: 2, active: 1 },
        'page A after page B closed');
    await assertNotReloaded(pageA, 'page A after page B closed');

    const versions = await pageA.page.evaluate(() => window.ring.versions());
    assert.equal(typeof versions[STATS_CHANNEL], 'number',
        `window.ring.versions() has no version for ${STATS_CHANNEL}`);

    assert.deepEqual(pageA.errors, [], 'console errors on page A');
    assert.deepEqual(pageB.errors, [], 'console errors on page B');
});

test('ring.ping gets pong from server', async (t) => {
    const { server } = await startStack(t);
    const context = await newContext(t);
    const opened = await openPage(context, `${server.url}/`);
    await waitRingState(opened, 'open');

    const reply = await opened.page.evaluate(() => window.ring.ping());
    assert.equal(reply.status, 200, `reply: ${JSON.stringify(reply)}`);
    assert.equal(reply.body, 'pong', `reply: ${JSON.stringify(reply)}`);
    assert.match(String(reply.id), /^debug-\d+$/);
    assert.deepEqual(opened.errors, [], 'console errors on the page');
});

test('page without JavaScript shows counts as rendered', async (t) => {
    const { server } = await startStack(t);
    const liveContext = await newContext(t);
    const live = await openPage(liveContext, `${server.url}/`);
    await waitRingState(live, 'open');
    await waitCounts(live, { total: 1, active: 1 }, 'live page after load');

    const staticContext = await newContext(t, { javaScriptEnabled: false });
    const still = await openPage(staticContext, `${server.url}/`);
    const counts = await readCounts(still.page);
    assert.equal(counts.total, '2', 'total on the page without JavaScript');
    assert.equal(counts.active, '1',
        'viewers now on the page without JavaScript');
    const state = await still.page.evaluate(
        () => document.documentElement.getAttribute('data-ring-state'));
    assert.equal(state, null, 'data-ring-state set without JavaScript');

    // The page without JavaScript counted a view but opened no socket.
    await waitCounts(live, { total: 2, active: 1 },
        'live page after the page without JavaScript loaded');
    assert.deepEqual(live.errors, [], 'console errors on the live page');
    assert.deepEqual(still.errors, [],
        'console errors on the page without JavaScript');
});

test('page reconnects after server restart', async (t) => {
    const { redis, server } = await startStack(t);
    const context = await newContext(t);
    const opened = await openPage(context, `${server.url}/`);
    await waitRingState(opened, 'open');
    await waitCounts(opened, { total: 1, active: 1 }, 'page after load');
    await markWindow(opened);

    const exit = await server.stop();
    assert.equal(exit.code, 0, `ringserver exit after SIGTERM: ` +
        JSON.stringify(exit));
    await opened.page.waitForFunction(
        () => document.documentElement.dataset.ringState !== 'open',
        null, { timeout: DEFAULT_TIMEOUT_MS });

    // Changed while no server runs, so only a snapshot can show it.
    await redis.command(['INCRBY', '{ring}:total', '10']);

    const restarted = await startServer({
        redisUrl: redis.url,
        port: server.port,
    });
    defer(t, () => restarted.stop());
    const response = await httpGet(`${restarted.url}/`);
    assert.equal(response.status, 200, 'GET / after restart');
    assert.equal(pageProp(response.body, 'total'), '12',
        'total rendered after restart');

    await waitRingState(opened, 'open');
    await waitCounts(opened, { total: 12, active: 1 },
        'page after server restart');
    await assertNotReloaded(opened, 'page after server restart');

    const unexpected = opened.errors.filter(
        (text) => !FAILED_HANDSHAKE.test(text));
    assert.deepEqual(unexpected, [], 'console errors on the page');
});
