// Browser test for a server restart: a page stays open while ringserver is
// stopped with SIGTERM and started again on the same port and Redis, with
// page views before, during and after. The page must end on the exact
// Redis counts without a reload, and never show an older value or version
// than one it showed before.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FAILED_HANDSHAKE, launchChromium } from '../lib/browser.mjs';

import {
    DEFAULT_TIMEOUT_MS,
    STATS_CHANNEL,
    httpGet,
    redisActive,
    redisTotal,
    sleep,
    startRedis,
    startServer,
    waitFor,
} from '../lib/harness.mjs';

// ring.js waits at most 10 s between attempts, plus the time to connect.
const RECONNECT_TIMEOUT_MS = 30000;
const TRAFFIC_INTERVAL_MS = 25;

let browser;

before(async () => {
    browser = await launchChromium();
});

after(async () => {
    if (browser) {
        await browser.close();
    }
});

// Requests GET / one after another until stopped, and counts the 200s,
// the other statuses, the refused connections and the requests that got
// no response (reset or timed out).
function startTraffic(url) {
    const traffic = { ok: 0, failed: 0, unanswered: 0, other: [],
        running: true };
    traffic.done = (async () => {
        while (traffic.running) {
            try {
                const response = await httpGet(`${url}/`, { timeoutMs: 3000 });
                if (response.status === 200) {
                    traffic.ok += 1;
                } else {
                    traffic.other.push(response.status);
                }
            } catch (err) {
                traffic.failed += 1;
                if (err.code !== 'ECONNREFUSED') {
                    traffic.unanswered += 1;
                }
            }
            await sleep(TRAFFIC_INTERVAL_MS);
        }
    })();
    traffic.stop = async () => {
        traffic.running = false;
        await traffic.done;
        return traffic;
    };
    return traffic;
}

// Records, in window.ringShown, every {total, active, version} the page
// shows, each time the DOM changes.
function recordShownValues(page, channel) {
    return page.evaluate((channelName) => {
        const text = (prop) => {
            const element = document.querySelector(`[data-prop="${prop}"]`);
            return element ? element.textContent.trim() : '';
        };
        const record = () => {
            const shown = {
                total: text('total'),
                active: text('active'),
                version: window.ring.versions()[channelName] ?? null,
            };
            const last = window.ringShown.at(-1);
            if (!last || last.total !== shown.total ||
                last.active !== shown.active ||
                last.version !== shown.version) {
                window.ringShown.push(shown);
            }
        };
        window.ringShown = [];
        record();
        new MutationObserver(record).observe(document.body,
            { subtree: true, childList: true, characterData: true });
    }, channel);
}

function readShown(page) {
    return page.evaluate(() => window.ringShown);
}

test('no missed update across restart', async (t) => {
    const redis = await startRedis();
    const server = await startServer({ redisUrl: redis.url });
    let current = server;
    const context = await browser.newContext();
    t.after(async () => {
        await context.close();
        await current.stop();
        await redis.stop();
    });
    const page = await context.newPage();
    const errors = [];
    page.on('console', (message) => {
        if (message.type() === 'error' &&
            !FAILED_HANDSHAKE.test(message.text())) {
            errors.push(message.text());
        }
    });
    page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
    let navigations = 0;
    const response = await page.goto(`${server.url}/`);
    assert.equal(response.status(), 200);
    page.on('framenavigated', (frame) => {
        if (frame === page.mainFrame()) {
            navigations += 1;
        }
    });
    await page.waitForFunction(
        () => document.documentElement.dataset.ringState === 'open',
        null, { timeout: DEFAULT_TIMEOUT_MS });
    await recordShownValues(page, STATS_CHANNEL);
    await page.evaluate(() => {
        window.ringTestMarker = 'still here';
    });
    const startTotal = await redisTotal(redis);
    assert.equal(startTotal, 1);

    // Page views before the stop, while it runs, and while no server runs.
    const traffic = startTraffic(server.url);
    await sleep(500);
    const exit = await server.stop();
    assert.equal(exit.code, 0, `ringserver exit: ${JSON.stringify(exit)}`);
    const totalAtStop = await redisTotal(redis);
    const okAtStop = traffic.ok;
    await sleep(800);
    assert.equal(await redisTotal(redis), totalAtStop,
        'page views while no server runs must count nothing');
    assert.equal(traffic.ok, okAtStop, 'a GET / succeeded with no server');
    assert.ok(traffic.failed > 0, 'no request was made while down');

    // Page views after the restart on the same port and Redis.
    current = await startServer({ redisUrl: redis.url, port: server.port });
    await waitFor(() => traffic.ok >= okAtStop + 10,
        '10 page views after the restart');
    const result = await traffic.stop();
    // A request that arrives while the server stops is answered 503 and
    // counted nowhere; a request in flight at SIGTERM is finished first.
    assert.ok(result.other.every((status) => status === 503),
        `statuses other than 200 and 503: ${result.other}`);
    assert.ok(okAtStop > 0, 'no page view before the stop');

    const total = await redisTotal(redis);
    assert.equal(total, startTotal + result.ok,
        `Redis counts ${total - startTotal} views for ${result.ok} pages`);
    await waitFor(async () => (await redisActive(redis)) === 1,
        'Redis to count the page as the only viewer', {
            timeoutMs: RECONNECT_TIMEOUT_MS,
        });
    let shown;
    await waitFor(async () => {
        shown = (await readShown(page)).at(-1);
        return shown.total === String(total) && shown.active === '1';
    }, `the page to show total ${total} and 1 viewer`,
    { timeoutMs: RECONNECT_TIMEOUT_MS }).catch((err) => {
        assert.fail(`${err.message}; page shows ${JSON.stringify(shown)}`);
    });

    const history = await readShown(page);
    assert.ok(history.length >= 3,
        `the page showed only ${JSON.stringify(history)}`);
    for (let i = 1; i < history.length; i++) {
        const before = history[i - 1];
        const now = history[i];
        assert.ok(Number(now.total) >= Number(before.total),
            `total went back from ${before.total} to ${now.total}`);
        assert.ok(now.version >= before.version,
            `version went back from ${before.version} to ${now.version}`);
        assert.ok(now.version > before.version,
            `the page changed at version ${now.version} without a newer ` +
            `version: ${JSON.stringify(before)} -> ${JSON.stringify(now)}`);
    }
    assert.ok(history.some((item) => Number(item.total) > totalAtStop),
        'the page never showed a page view made after the restart');

    const marker = await page.evaluate(() => window.ringTestMarker);
    assert.equal(marker, 'still here', 'the page reloaded');
    assert.equal(navigations, 0, 'the page navigated');
    assert.equal(await page.evaluate(
        () => document.documentElement.dataset.ringState), 'open');
    assert.deepEqual(errors, [], 'console errors on the page');
});
