// Versions and catch-up: a socket is brought up to date when the state
// changed between the render and its open, a reconnect that states the
// versions it shows gets only what moved on, the catch-up message resends
// the current state, and the versions one socket receives only grow.
//
// The stats channel changes whenever a socket joins or leaves, so the tests
// that count pushes exactly use the test build's fixture channel, which no
// join touches, and skip themselves in a build without test pages.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
    STATS_CHANNEL, startRedis, startServer, httpGet, openSocket, pageProp,
    pageSocketPath, pageVersion, ringUrl, redisActive, redisTotal, sleep,
    terminateSockets, waitFor,
} from '../lib/harness.mjs';

const FIXTURE_CHANNEL = 'fixture:collection:listing';
const FIXTURE_VERSION_KEY = '{ring}:test:version';
const NO_TEST_PAGES = 'this build has no test pages (meson -Dtest_pages=true)';
const QUIET_MS = 300;

let redis;
let server;
let hasTestPages = false;

before(async () => {
    redis = await startRedis();
    server = await startServer({ redisUrl: redis.url });
    const probe = await httpGet(`${server.url}/test/collection`);
    hasTestPages = probe.status === 200;
});

after(async () => {
    if (server) {
        const exit = await server.stop();
        assert.equal(exit.code, 0, `ringserver exit: ${JSON.stringify(exit)}`);
    }
    await redis?.stop();
});

afterEach(async () => {
    terminateSockets();
    await waitRedisActive(0);
});

function waitRedisActive(expected) {
    return waitFor(async () => (await redisActive(redis)) === expected,
        `Redis {ring}:active to sum to ${expected}`);
}

// Waits for a ping round trip and then QUIET_MS more, so that anything the
// server was going to send by now has arrived.
async function settle(socket) {
    const id = `settle-${Math.random()}`;
    const reply = await socket.request('ping', id);
    assert.equal(reply.status, 200);
    await sleep(QUIET_MS);
}

function pushesOn(socket, channel) {
    return socket.pushes.filter((push) => push.channel === channel);
}

// Opens the socket a rendered page carries, with the page's Origin, adding
// since=CHANNEL@VERSION,... as ring.js does on a reconnect.
function openTokenSocket(html, since = null) {
    const url = new URL(`${server.wsUrl}${pageSocketPath(html)}`);
    if (since) {
        url.searchParams.set('since', Object.entries(since)
            .map(([channel, version]) => `${channel}@${version}`).join(','));
    }
    return openSocket(url.href, { origin: server.url });
}

async function setFixture(data) {
    const response = await httpGet(`${server.url}/test/collection/set?data=` +
        encodeURIComponent(data));
    assert.equal(response.status, 200, `set fixture to ${data}`);
}

async function fixtureVersion() {
    return Number(await redis.command(['GET', FIXTURE_VERSION_KEY]));
}

function textOf(push, prop) {
    const op = push.payload.find((item) => item.prop === prop &&
        item.op === 'text');
    return op ? op.value : undefined;
}

// Applies `pushes` on top of the state a page showed (version and values),
// as ring.js does, and returns the resulting {version, values, ignored}.
function replay(version, values, pushes) {
    const state = { version, values: { ...values }, ignored: [] };
    for (const push of pushes) {
        if (push.version <= state.version ||
            (!push.full && push.from !== state.version)) {
            state.ignored.push(push);
            continue;
        }
        state.version = push.version;
        for (const op of push.payload) {
            state.values[op.prop] = op.value;
        }
    }
    return state;
}

test('change before open is pushed at once', async () => {
    const first = await httpGet(`${server.url}/`);
    const rendered = pageVersion(first.body);
    const renderedTotal = Number(pageProp(first.body, 'total'));
    const second = await httpGet(`${server.url}/`);
    assert.ok(pageVersion(second.body) > rendered,
        'the second render must carry a newer version');

    const socket = await openTokenSocket(first.body);
    const push = await socket.nextPush();
    assert.ok(push.version > rendered,
        `first push version ${push.version} is not newer than the render`);
    assert.ok(push.full || push.from === rendered,
        `diff from ${push.from}, not from the render ${rendered}`);
    assert.equal(textOf(push, 'total'), String(renderedTotal + 1),
        `first push must carry the newer total: ${JSON.stringify(push)}`);

    await waitRedisActive(1);
    const total = await redisTotal(redis);
    await waitFor(() => {
        const state = replay(rendered, {
            total: String(renderedTotal),
            active: pageProp(first.body, 'active'),
        }, pushesOn(socket, STATS_CHANNEL));
        return state.values.total === String(total) &&
            state.values.active === '1' && state.ignored.length === 0;
    }, 'the page socket to show the Redis counts');
});

test('open at render version gets nothing', async (t) => {
    if (!hasTestPages) {
        t.skip(NO_TEST_PAGES);
        return;
    }
    await setFixture('title=Quiet');
    const page = await httpGet(`${server.url}/test/collection`);
    assert.equal(page.status, 200);

    const socket = await openTokenSocket(page.body);
    await settle(socket);
    assert.deepEqual(pushesOn(socket, FIXTURE_CHANNEL), [],
        'a socket that shows the newest state needs no push');
});

test('fixture change before open is pushed', async (t) => {
    if (!hasTestPages) {
        t.skip(NO_TEST_PAGES);
        return;
    }
    await setFixture('title=Rendered');
    const page = await httpGet(`${server.url}/test/collection`);
    const rendered = pageVersion(page.body);
    await setFixture('title=Changed before open');

    const socket = await openTokenSocket(page.body);
    const push = await socket.nextPush(FIXTURE_CHANNEL);
    assert.equal(push.version, await fixtureVersion());
    assert.ok(push.full || push.from === rendered,
        `diff from ${push.from}, not from the render ${rendered}`);
    assert.equal(textOf(push, 'title'), 'Changed before open');
    await settle(socket);
    assert.equal(pushesOn(socket, FIXTURE_CHANNEL).length, 1,
        'exactly one push brings the socket up to date');
});

test('reconnect after changes gets one push', async (t) => {
    if (!hasTestPages) {
        t.skip(NO_TEST_PAGES);
        return;
    }
    await setFixture('title=Start');
    const page = await httpGet(`${server.url}/test/collection`);
    const rendered = pageVersion(page.body);
    const socket = await openTokenSocket(page.body);
    await settle(socket);
    await socket.close();

    for (const title of ['One', 'Two', 'Three']) {
        await setFixture(`title=${title}`);
    }
    const current = await fixtureVersion();
    assert.ok(current > rendered);

    const again = await openTokenSocket(page.body,
        { [FIXTURE_CHANNEL]: rendered });
    const push = await again.nextPush(FIXTURE_CHANNEL);
    assert.equal(push.version, current, 'the push carries the newest version');
    assert.ok(push.full || push.from === rendered,
        `diff from ${push.from}, not from the stated ${rendered}`);
    assert.equal(textOf(push, 'title'), 'Three');
    await settle(again);
    assert.equal(pushesOn(again, FIXTURE_CHANNEL).length, 1,
        'a reconnect must get exactly one push per channel that moved on');
});

test('reconnect at current version gets nothing', async (t) => {
    if (!hasTestPages) {
        t.skip(NO_TEST_PAGES);
        return;
    }
    await setFixture('title=Old');
    const page = await httpGet(`${server.url}/test/collection`);
    await setFixture('title=Current');
    const current = await fixtureVersion();

    // The token names the render version, since= the newer one shown.
    const socket = await openTokenSocket(page.body,
        { [FIXTURE_CHANNEL]: current });
    await settle(socket);
    assert.deepEqual(pushesOn(socket, FIXTURE_CHANNEL), [],
        'since= at the current version must override the token version');
});

test('since= ignores unfollowed channels', async (t) => {
    if (!hasTestPages) {
        t.skip(NO_TEST_PAGES);
        return;
    }
    await setFixture('title=Since');
    const page = await httpGet(`${server.url}/test/collection`);
    const current = await fixtureVersion();
    const socket = await openTokenSocket(page.body, {
        [STATS_CHANNEL]: 1,
        'nope:x:y': 5,
        [FIXTURE_CHANNEL]: current,
    });
    await settle(socket);
    assert.ok(socket.isOpen());
    assert.deepEqual(socket.pushes, [],
        'since= must not subscribe to channels the token does not name');
});

test('stats reconnect catches up total', async () => {
    const first = await httpGet(`${server.url}/`);
    const socket = await openTokenSocket(first.body);
    await waitRedisActive(1);
    const shownTotal = await redisTotal(redis);
    await waitFor(() => replay(pageVersion(first.body), {
        total: pageProp(first.body, 'total'),
        active: pageProp(first.body, 'active'),
    }, pushesOn(socket, STATS_CHANNEL)).values.active === '1',
    'the socket to show itself as a viewer');
    const shown = socket.pushes.at(-1).version;
    await socket.close();
    await waitRedisActive(0);

    for (let i = 0; i < 4; i++) {
        await httpGet(`${server.url}/`);
    }
    const total = await redisTotal(redis);
    assert.equal(total, shownTotal + 4);

    const again = await openTokenSocket(first.body, { [STATS_CHANNEL]: shown });
    const push = await again.nextPush();
    assert.ok(push.version > shown, 'the push must be newer than since=');
    assert.ok(push.full || push.from === shown,
        `diff from ${push.from}, not from the stated ${shown}`);
    assert.equal(textOf(push, 'total'), String(total),
        `first push must carry the current total: ${JSON.stringify(push)}`);
    await waitRedisActive(1);
    for (const later of pushesOn(again, STATS_CHANNEL)) {
        assert.ok(later.version > shown);
    }
});

// Opens an anonymous socket subscribed with HEAD /, once its own join is
// counted, and returns it with its one full push.
async function openQuietStatsSocket() {
    const socket = await openSocket(ringUrl(server));
    await waitRedisActive(1);
    const reply = await socket.callRoute('HEAD', '/');
    assert.equal(reply.status, 200);
    const full = await socket.nextPush();
    assert.equal(full.full, true);
    await settle(socket);
    assert.equal(socket.pushes.length, 1, 'the state moved on unexpectedly');
    return { socket, full };
}

async function catchUp(socket, id, versions) {
    return socket.request('catch-up', id, { versions });
}

test('catch-up at shown version sends nothing', async () => {
    const { socket, full } = await openQuietStatsSocket();
    const reply = await catchUp(socket, 'same', { [STATS_CHANNEL]: full.version });
    assert.deepEqual(reply, { id: 'same', status: 200, body: 'ok' });
    await settle(socket);
    assert.equal(socket.pushes.length, 1, 'nothing moved on');
});

test('catch-up from zero resends full state', async () => {
    const { socket, full } = await openQuietStatsSocket();
    const reply = await catchUp(socket, 'zero', { [STATS_CHANNEL]: 0 });
    assert.deepEqual(reply, { id: 'zero', status: 200, body: 'ok' });
    const push = await socket.nextPush();
    assert.equal(push.full, true);
    assert.equal(push.version, full.version);
    assert.deepEqual(push.payload, full.payload);
    await settle(socket);
    assert.equal(socket.pushes.length, 2, 'one push per catch-up');
});

test('catch-up at diff base resends diff', async () => {
    const { socket, full } = await openQuietStatsSocket();
    await httpGet(`${server.url}/`);
    const diff = await socket.nextPush();
    assert.notEqual(diff.full, true);
    assert.equal(diff.from, full.version);

    const reply = await catchUp(socket, 'base', { [STATS_CHANNEL]: full.version });
    assert.equal(reply.status, 200);
    const again = await socket.nextPush();
    assert.equal(again.version, diff.version);
    assert.ok(again.full || again.from === full.version);
    await socket.waitValues({ total: await redisTotal(redis), active: 1 });
});

test('catch-up errors get 400', async () => {
    const { socket } = await openQuietStatsSocket();
    const cases = [
        ['unknown channel', { versions: { 'nope:x:y': 1 } },
            'not subscribed to "nope:x:y"'],
        ['unfollowed channel', { versions: { [FIXTURE_CHANNEL]: 1 } },
            `not subscribed to "${FIXTURE_CHANNEL}"`],
        ['one of two unfollowed',
            { versions: { [STATS_CHANNEL]: 0, 'nope:x:y': 1 } },
            'not subscribed to "nope:x:y"'],
        ['missing versions', {}, 'missing "versions"'],
        ['null versions', { versions: null }, 'missing "versions"'],
        ['string version', { versions: { [STATS_CHANNEL]: '5' } },
            'values in "versions" must be integers'],
        ['fraction version', { versions: { [STATS_CHANNEL]: 1.5 } },
            'values in "versions" must be integers'],
        ['negative version', { versions: { [STATS_CHANNEL]: -1 } },
            'invalid channel or version in "versions"'],
        ['array versions', { versions: [STATS_CHANNEL] },
            '"versions" must be an object'],
    ];
    for (const [name, fields, error] of cases) {
        socket.send({ action: 'catch-up', id: name, ...fields });
        const reply = await socket.nextMessage((m) => m && m.id === name,
            undefined, `the reply to ${name}`);
        assert.equal(reply.status, 400, `status for ${name}`);
        assert.equal(reply.error, error, `error for ${name}`);
    }
    await settle(socket);
    assert.ok(socket.isOpen(), 'socket closed after catch-up errors');
    assert.equal(socket.pushes.length, 1,
        'a rejected catch-up must change nothing, not even its valid part');
});

test('catch-up on anonymous socket', async () => {
    const socket = await openSocket(ringUrl(server));
    const empty = await catchUp(socket, 'empty', {});
    assert.deepEqual(empty, { id: 'empty', status: 200, body: 'ok' });
    const stats = await catchUp(socket, 'stats', { [STATS_CHANNEL]: 0 });
    assert.equal(stats.status, 400);
    assert.equal(stats.error, `not subscribed to "${STATS_CHANNEL}"`);
    await settle(socket);
    assert.deepEqual(socket.pushes, []);
});

// Asserts that no push on `socket` is older than the one before, that
// every diff is newer and starts from the version the socket was last sent.
// A full push may repeat the version shown: catch-up from 0 resends it.
function assertVersionsGrow(socket, name) {
    const pushes = pushesOn(socket, STATS_CHANNEL);
    assert.ok(pushes.length > 1, `${name} got ${pushes.length} pushes`);
    for (let i = 1; i < pushes.length; i++) {
        const previous = pushes[i - 1].version;
        assert.ok(pushes[i].version >= previous,
            `${name}: push ${i} went back from version ${previous} to ` +
            `${pushes[i].version}`);
        assert.ok(pushes[i].full || pushes[i].version > previous,
            `${name}: diff ${i} repeats version ${previous}`);
        assert.ok(pushes[i].full || pushes[i].from === previous,
            `${name}: diff ${i} starts from ${pushes[i].from}, not from ` +
            `${previous}`);
    }
    assert.equal(socket.gaps, undefined,
        `${name}: pushes that did not fit: ${JSON.stringify(socket.gaps)}`);
}

test('pushes never go backwards', async (t) => {
    const other = await startServer({ redisUrl: redis.url });
    t.after(() => other.stop());
    const watchers = [];
    for (const target of [server, other]) {
        const socket = await openSocket(ringUrl(target));
        const reply = await socket.callRoute('HEAD', '/');
        assert.equal(reply.status, 200);
        watchers.push(socket);
    }
    await waitRedisActive(2);

    // Page views on both processes and viewers coming and going, with up
    // to ten requests in flight at once.
    const ROUNDS = 6;
    for (let round = 0; round < ROUNDS; round++) {
        const work = [];
        for (let i = 0; i < 8; i++) {
            const target = (round + i) % 2 ? server : other;
            work.push(httpGet(`${target.url}/`));
        }
        work.push(openSocket(ringUrl(round % 2 ? server : other))
            .then((socket) => sleep(20).then(() => socket.terminate())));
        work.push(catchUp(watchers[round % 2], `r${round}`,
            { [STATS_CHANNEL]: 0 }));
        await Promise.all(work);
    }

    await waitRedisActive(2);
    const total = await redisTotal(redis);
    for (const socket of watchers) {
        await socket.waitValues({ total, active: 2 });
    }
    assertVersionsGrow(watchers[0], 'socket on the first process');
    assertVersionsGrow(watchers[1], 'socket on the second process');
    for (const socket of watchers) {
        socket.terminate();
    }
});
