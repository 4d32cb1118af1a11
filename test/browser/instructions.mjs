// Browser tests for the instructions beyond text: headless Chromium against
// the test build of ringserver (meson option test_pages), whose page
// /test/collection shows the data set through /test/collection/set. After
// each change the live page must show the new data, and its region must
// equal the region of a freshly rendered page.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from '../lib/browser.mjs';

import {
    httpGet,
    startRedis,
    startServer,
    waitFor,
} from '../lib/harness.mjs';

const CHANNEL = 'fixture:collection:listing';
const MARKUP = '<b>bold</b><img src=x onerror="window.ringInjected=1">';

let browser;

before(async () => {
    browser = await launchChromium();
});

after(async () => {
    if (browser) {
        await browser.close();
    }
});

// Builds the data text of the set route: `fields` for the scope, then one
// "#ID" line and fields per item, lines ended by tabs (the route's query
// argument loses what follows an encoded newline). A null value writes
// "NAME" alone (NULL).
function dataText(fields, items = []) {
    const lines = [];
    const addFields = (entries) => {
        for (const [name, value] of Object.entries(entries)) {
            lines.push(value === null ? name : `${name}=${value}`);
        }
    };
    addFields(fields);
    for (const [id, itemFields] of items) {
        lines.push(`#${id}`);
        addFields(itemFields);
    }
    return lines.join('\t');
}

async function setData(server, fields, items) {
    const data = encodeURIComponent(dataText(fields, items));
    const response = await httpGet(
        `${server.url}/test/collection/set?data=${data}`);
    assert.equal(response.status, 200,
        `set route: ${response.status} ${response.body}`);
}

// Reads what the page's region shows. Runs in the page.
function readRegion() {
    const region = document.querySelector('[data-scope="fixture"]');
    const prop = (root, name) => {
        for (const element of root.querySelectorAll('[data-prop]')) {
            if (element.getAttribute('data-prop') === name) {
                return element;
            }
        }
        return null;
    };
    const title = prop(region, 'title');
    const note = prop(region, 'note');
    const entries = [];
    for (const item of region.querySelectorAll('li[data-id]')) {
        const name = prop(item, 'name');
        const detail = prop(item, 'detail');
        entries.push({
            id: item.getAttribute('data-id'),
            name: name ? name.textContent : null,
            nameChildren: name ? name.children.length : -1,
            detail: detail ? detail.textContent : null,
            title: item.getAttribute('title'),
            done: item.classList.contains('done'),
        });
    }
    return {
        title: title ? title.textContent : null,
        titleTip: title ? title.getAttribute('title') : null,
        urgent: title ? title.classList.contains('urgent') : null,
        mode: region.getAttribute('data-mode'),
        busy: region.classList.contains('busy'),
        note: note ? note.textContent : null,
        link: prop(region, 'link').getAttribute('href'),
        entries,
        templates: region.querySelectorAll(
            'template[data-ring-template="entry"]').length,
        injected: window.ringInjected === 1,
    };
}

// Returns a comparable form of the region in `doc`: elements with sorted
// attributes and class names, text as it is, the item template's content,
// and not the content of removed-node holders or data-ring-version. Runs
// in the page.
function normalizeRegion(html) {
    const doc = html ? new DOMParser().parseFromString(html, 'text/html') :
        document;
    const normalize = (node) => {
        if (node.nodeType === Node.TEXT_NODE) {
            return node.data;
        }
        if (node.nodeType !== Node.ELEMENT_NODE) {
            return null;
        }
        const attributes = [];
        for (const attribute of node.attributes) {
            if (attribute.name === 'data-ring-version') {
                continue;
            }
            let value = attribute.value;
            if (attribute.name === 'class') {
                value = value.split(/\s+/).filter(Boolean).sort().join(' ');
                if (!value) {
                    continue;
                }
            }
            attributes.push(`${attribute.name}=${value}`);
        }
        attributes.sort();
        let children = node.childNodes;
        if (node.tagName === 'TEMPLATE') {
            children = node.hasAttribute('data-ring-removed') ? [] :
                node.content.childNodes;
        }
        return [node.tagName, attributes,
            Array.from(children).map(normalize).filter((x) => x !== null)];
    };
    return JSON.stringify(normalize(
        doc.querySelector('[data-scope="fixture"]')));
}

// Waits until the page shows `expected` (a subset of readRegion()), then
// checks that its region equals that of a page rendered now.
async function expectShown(opened, server, expected, what) {
    let last = null;
    try {
        await waitFor(async () => {
            last = await opened.page.evaluate(readRegion);
            return Object.entries(expected).every(([key, value]) =>
                JSON.stringify(last[key]) === JSON.stringify(value));
        }, what);
    } catch (err) {
        assert.fail(`${what}: expected ${JSON.stringify(expected)}, page ` +
            `shows ${JSON.stringify(last)} (${err.message})`);
    }
    const fresh = await httpGet(`${server.url}/test/collection`);
    assert.equal(fresh.status, 200, `${what}: fresh render status`);
    const live = await opened.page.evaluate(normalizeRegion, null);
    const rendered = await opened.page.evaluate(normalizeRegion, fresh.body);
    assert.equal(live, rendered,
        `${what}: live region differs from a fresh render`);
}

function entry(id, name, extra = {}) {
    return { id, name, nameChildren: 0, detail: 'no detail', title: null,
        done: false, ...extra };
}

async function openPage(server) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const opened = { context, page, errors: [], sent: [] };
    page.on('console', (message) => {
        if (message.type() === 'error') {
            opened.errors.push(message.text());
        }
    });
    page.on('pageerror', (err) => opened.errors.push(`uncaught: ${err}`));
    page.on('websocket', (socket) => {
        socket.on('framesent', (frame) => opened.sent.push(frame.payload));
    });
    const response = await page.goto(`${server.url}/test/collection`);
    assert.equal(response.status(), 200, 'GET /test/collection');
    await page.waitForFunction(
        () => document.documentElement.dataset.ringState === 'open', null,
        { timeout: 10000 });
    return opened;
}

async function startStack(t) {
    const redis = await startRedis();
    const server = await startServer({ redisUrl: redis.url });
    t.after(async () => {
        await server.stop();
        await redis.stop();
    });
    const probe = await httpGet(`${server.url}/test/collection`);
    if (probe.status === 404) {
        return { server: null };
    }
    return { server };
}

test('instructions update the collection page', async (t) => {
    const { server } = await startStack(t);
    if (!server) {
        t.skip('/test/collection is 404: this binary was built without ' +
            '-Dtest_pages=true');
        return;
    }
    await setData(server, { title: 'First' },
        [['1', { name: 'one' }], ['2', { name: 'two' }]]);
    const opened = await openPage(server);
    t.after(() => opened.context.close());
    await expectShown(opened, server, {
        title: 'First', entries: [entry('1', 'one'), entry('2', 'two')],
        templates: 1,
    }, 'first render');

    await setData(server, { 'title': 'First', 'title@title': 'a "tip" <x>',
        '@data-mode': null, 'link@href': '/next?a=1&b=2' },
    [['1', { name: 'one', '@title': 'item tip' }], ['2', { name: 'two' }]]);
    await expectShown(opened, server, {
        titleTip: 'a "tip" <x>', mode: null, link: '/next?a=1&b=2',
        entries: [entry('1', 'one', { title: 'item tip' }),
            entry('2', 'two')],
    }, 'attributes set and removed');

    await setData(server, { 'title': 'First', 'title.urgent': '', '.busy': '',
        'link@href': 'javascript:alert(1)' },
    [['1', { name: 'one', '.done': '' }], ['2', { name: 'two' }]]);
    await expectShown(opened, server, {
        titleTip: null, mode: 'idle', urgent: true, busy: true, link: null,
        entries: [entry('1', 'one', { done: true }), entry('2', 'two')],
    }, 'classes added, attributes back to defaults, unsafe href dropped');

    await setData(server, { title: 'First', note: null },
        [['1', { name: 'one' }], ['2', { name: 'two', detail: null }]]);
    await expectShown(opened, server, {
        urgent: false, busy: false, note: null, link: '/',
        entries: [entry('1', 'one'), entry('2', 'two', { detail: null })],
    }, 'classes removed, nodes removed');

    await setData(server, { title: 'First', note: 'back' },
        [['1', { name: 'one' }], ['3', { name: 'three' }],
            ['2', { name: 'two', detail: 'here' }]]);
    await expectShown(opened, server, {
        note: 'back',
        entries: [entry('1', 'one'), entry('3', 'three'),
            entry('2', 'two', { detail: 'here' })],
    }, 'nodes back, item inserted in the middle');

    await setData(server, { title: 'First' },
        [['2', { name: 'two' }], ['1', { name: 'one' }]]);
    await expectShown(opened, server, {
        entries: [entry('2', 'two'), entry('1', 'one')],
    }, 'item removed and items moved');

    await setData(server, { title: 'First' },
        [['2', { name: 'changed' }], ['1', { name: 'one' }]]);
    await expectShown(opened, server, {
        entries: [entry('2', 'changed'), entry('1', 'one')],
    }, 'item changed in place');

    await setData(server, { title: 'Empty' }, []);
    await expectShown(opened, server, { title: 'Empty', entries: [] },
        'list emptied');

    await setData(server, { title: MARKUP },
        [['4', { name: MARKUP }], ['5', { name: 'five' }]]);
    await expectShown(opened, server, {
        title: MARKUP,
        entries: [entry('4', MARKUP), entry('5', 'five')], injected: false,
    }, 'list refilled, markup shown as text');

    assert.deepEqual(opened.errors, [], 'console errors on the page');
});

test('stale and repeated pushes change nothing; a gap asks to catch up',
    async (t) => {
        const { server } = await startStack(t);
        if (!server) {
            t.skip('/test/collection is 404: this binary was built without ' +
                '-Dtest_pages=true');
            return;
        }
        await setData(server, { title: 'one' }, []);
        const context = await browser.newContext();
        t.after(() => context.close());
        const page = await context.newPage();
        const sent = [];
        let toPage = null;
        await page.routeWebSocket(/\/ring/, (ws) => {
            const server = ws.connectToServer();
            toPage = (message) => ws.send(message);
            ws.onMessage((message) => {
                sent.push(message);
                server.send(message);
            });
        });
        await page.goto(`${server.url}/test/collection`);
        await page.waitForFunction(
            () => document.documentElement.dataset.ringState === 'open', null,
            { timeout: 10000 });
        await waitFor(async () => (await page.evaluate(
            () => window.ring.versions()))[CHANNEL], 'a version shown');
        const shown = (await page.evaluate(() => window.ring.versions()))[
            CHANNEL];
        const title = () => page.evaluate(() =>
            document.querySelector('[data-prop="title"]').textContent);
        const push = (version, from, value) => toPage(JSON.stringify({
            channel: CHANNEL, version, from,
            payload: [{ op: 'text', scope: 'fixture', prop: 'title', value }],
        }));

        push(shown + 1, shown, 'next');
        await waitFor(async () => (await title()) === 'next', 'diff applied');
        push(shown + 1, shown, 'repeated');
        push(shown, shown - 1, 'stale');
        push(shown + 5, shown + 3, 'after a gap');
        await waitFor(() => sent.some((text) => {
            const message = JSON.parse(text);
            return message.action === 'catch-up' &&
                message.versions[CHANNEL] === shown + 1;
        }), 'a catch-up request naming the shown version');
        assert.equal(await title(), 'next',
            'repeated, stale and gapped pushes left the page as it was');
        const versions = await page.evaluate(() => window.ring.versions());
        assert.equal(versions[CHANNEL], shown + 1, 'version shown');
    });
