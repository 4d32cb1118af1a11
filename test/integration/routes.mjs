// call-route over the socket: routes run as over HTTP, with the same side
// effects and statuses, errors in the message get a 400 reply with an
// `error`, and the subscriptions a route makes attach to the calling socket.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import {
    STATS_CHANNEL, startRedis, startServer, httpGet, openSocket, pageProp,
    pageVersion, ringUrl, redisActive, redisTotal, sleep, terminateSockets,
    waitFor,
} from '../lib/harness.mjs';

const FIXTURE_CHANNEL = 'fixture:collection:listing';
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

// Opens an anonymous socket and waits until Redis counts its join, so that
// the join pushes nothing later in the test.
async function openCountedSocket(viewers = 1) {
    const socket = await openSocket(ringUrl(server));
    await waitRedisActive(viewers);
    return socket;
}

// Sends a raw call-route message and resolves with the reply to `id`.
async function sendRoute(socket, id, fields) {
    socket.send({ action: 'call-route', id, ...fields });
    return socket.nextMessage((m) => m && m.id === id && 'status' in m,
        undefined, `the reply to call-route ${id}`);
}

async function assertStillServes(socket) {
    assert.ok(socket.isOpen(), 'socket closed after the error reply');
    const reply = await socket.request('ping', 'after-error');
    assert.deepEqual(reply, { id: 'after-error', status: 200, body: 'pong' });
}

test('GET / counts exactly one view', async () => {
    const socket = await openCountedSocket();
    const before = await redisTotal(redis);

    const reply = await socket.callRoute('GET', '/', {}, 'index');
    assert.deepEqual(Object.keys(reply).sort(),
        ['body', 'headers', 'id', 'status']);
    assert.equal(reply.id, 'index');
    assert.equal(reply.status, 200);
    assert.match(reply.headers['content-type'], /^text\/html/);
    assert.match(reply.body, /^<!DOCTYPE html>/i);
    assert.equal(pageProp(reply.body, 'total'), String(before + 1),
        'total rendered in the reply');
    assert.equal(pageProp(reply.body, 'active'), '1',
        'viewers now rendered in the reply');
    assert.ok(pageVersion(reply.body) > 0, 'the page carries its version');

    await settle(socket);
    assert.equal(await redisTotal(redis), before + 1,
        'one call-route GET / must count one page view');
});

test('HEAD / counts no view', async () => {
    const socket = await openCountedSocket();
    const before = await redisTotal(redis);

    const reply = await socket.callRoute('HEAD', '/');
    assert.equal(reply.status, 200);
    assert.match(reply.headers['content-type'], /^text\/html/);
    assert.equal(reply.body, '');
    await settle(socket);
    assert.equal(await redisTotal(redis), before);
});

test('method defaults to GET', async () => {
    const socket = await openCountedSocket();
    const before = await redisTotal(redis);

    const reply = await sendRoute(socket, 'no-method', { uri: '/' });
    assert.equal(reply.status, 200);
    assert.equal(pageProp(reply.body, 'total'), String(before + 1));
    assert.equal(await redisTotal(redis), before + 1);
});

test('unknown path gets 404 reply', async () => {
    const socket = await openCountedSocket();
    const before = await redisTotal(redis);

    for (const uri of ['/nope', '/index.html', '/nope?a=1', '/static']) {
        const reply = await socket.callRoute('GET', uri);
        assert.equal(reply.status, 404, `status for ${uri}`);
        assert.match(reply.headers['content-type'], /^text\/html/,
            `content type for ${uri}`);
        assert.match(reply.body, /Not found/, `body for ${uri}`);
    }
    await assertStillServes(socket);
    assert.equal(await redisTotal(redis), before);
});

test('POST / gets 405 reply', async () => {
    const socket = await openCountedSocket();
    const before = await redisTotal(redis);

    for (const method of ['POST', 'PUT', 'DELETE']) {
        const reply = await socket.callRoute(method, '/');
        assert.equal(reply.status, 405, `status for ${method} /`);
        assert.match(reply.body, /Method not allowed/,
            `body for ${method} /`);
    }
    await assertStillServes(socket);
    await settle(socket);
    assert.equal(await redisTotal(redis), before);
    assert.equal(socket.pushes.length, 0, '405 must not subscribe');
});

test('unknown method gets 400', async () => {
    const socket = await openCountedSocket();
    const before = await redisTotal(redis);

    for (const method of ['BREW', 'get', '']) {
        const reply = await socket.callRoute(method, '/', {}, `m-${method}`);
        assert.equal(reply.id, `m-${method}`);
        assert.equal(reply.status, 400, `status for method "${method}"`);
        assert.equal(reply.error, 'unsupported "method"',
            `error for method "${method}"`);
    }
    const wrongType = await sendRoute(socket, 'm-number',
        { method: 7, uri: '/' });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.error, '"method" must be a string');

    await assertStillServes(socket);
    assert.equal(await redisTotal(redis), before);
});

test('missing or relative uri gets 400', async () => {
    const socket = await openCountedSocket();
    const before = await redisTotal(redis);

    const missing = await sendRoute(socket, 'u-missing', { method: 'GET' });
    assert.equal(missing.status, 400);
    assert.equal(missing.error, 'missing "uri"');

    for (const uri of ['', 'index', 'http://127.0.0.1/', '?a=1']) {
        const reply = await socket.callRoute('GET', uri);
        assert.equal(reply.status, 400, `status for uri "${uri}"`);
        assert.equal(reply.error, '"uri" must be a path starting with /',
            `error for uri "${uri}"`);
    }
    const badEscape = await socket.callRoute('GET', '/%zz');
    assert.equal(badEscape.status, 400);
    assert.match(badEscape.error, /invalid escape/);

    const wrongType = await sendRoute(socket, 'u-number',
        { method: 'GET', uri: 5 });
    assert.equal(wrongType.status, 400);
    assert.equal(wrongType.error, '"uri" must be a string');

    await assertStillServes(socket);
    assert.equal(await redisTotal(redis), before);
});

test('invalid input gets 400', async () => {
    const socket = await openCountedSocket();
    const before = await redisTotal(redis);
    const cases = [
        ['nested object', { a: { b: '1' } }, /^values in "input" must be/],
        ['array member', { a: ['1'] }, /^values in "input" must be/],
        ['empty array member', { a: [] }, /^values in "input" must be/],
        ['array', ['a'], /^"input" must be an object$/],
        ['string', 'a=1', /^"input" must be an object$/],
        ['number', 3, /^"input" must be an object$/],
    ];

    for (const [name, input, error] of cases) {
        const id = `input-${name}`;
        const reply = await sendRoute(socket, id,
            { method: 'GET', uri: '/', input });
        assert.equal(reply.id, id);
        assert.equal(reply.status, 400, `status for ${name}`);
        assert.match(reply.error, error, `error for ${name}`);
        assert.equal(reply.body, undefined, `body for ${name}`);
    }
    await assertStillServes(socket);
    await settle(socket);
    assert.equal(await redisTotal(redis), before,
        'a call-route with invalid input must not run the route');
    assert.equal(socket.pushes.length, 0,
        'a call-route with invalid input must not subscribe');
});

test('scalar input members are accepted', async () => {
    const socket = await openCountedSocket();
    const input = { s: 'text', n: 12, f: 1.5, yes: true, no: false,
        none: null };
    const reply = await socket.callRoute('GET', '/', input);
    assert.equal(reply.status, 200);
});

test('missing id gets 400 with null id', async () => {
    const socket = await openCountedSocket();
    const before = await redisTotal(redis);

    socket.send({ action: 'call-route', method: 'GET', uri: '/' });
    const reply = await socket.nextMessage((m) => m && 'status' in m);
    assert.equal(reply.id, null);
    assert.equal(reply.status, 400);
    assert.equal(reply.error, 'missing "id"');

    await assertStillServes(socket);
    await settle(socket);
    assert.equal(await redisTotal(redis), before,
        'a call-route without id must not run the route');
});

test('numeric id comes back as number', async () => {
    const socket = await openCountedSocket();
    socket.send({ action: 'call-route', id: 42, method: 'HEAD', uri: '/' });
    const reply = await socket.nextMessage((m) => m && 'status' in m);

    assert.equal(reply.id, 42);
    assert.equal(reply.status, 200);
});

test('input reaches the route', async (t) => {
    if (!hasTestPages) {
        t.skip('this build has no test pages (meson -Dtest_pages=true)');
        return;
    }
    const socket = await openCountedSocket();

    const data = 'title=From input\tnote=sent as "input"';
    const set = await socket.callRoute('GET', '/test/collection/set',
        { data });
    assert.equal(set.status, 200, `reply: ${JSON.stringify(set)}`);
    assert.equal(set.body, 'ok\n');
    assert.equal(await redis.command(['GET', '{ring}:test:collection']), data);

    const query = await socket.callRoute('GET',
        '/test/collection/set?data=title%3DFrom+query');
    assert.equal(query.status, 200, `reply: ${JSON.stringify(query)}`);
    assert.equal(await redis.command(['GET', '{ring}:test:collection']),
        'title=From query');

    const number = await socket.callRoute('GET', '/test/collection/set',
        { data: 1234 });
    assert.equal(number.status, 200, `reply: ${JSON.stringify(number)}`);
    assert.equal(await redis.command(['GET', '{ring}:test:collection']),
        '1234');

    const boolean = await socket.callRoute('GET', '/test/collection/set',
        { data: true });
    assert.equal(boolean.status, 200, `reply: ${JSON.stringify(boolean)}`);
    assert.equal(await redis.command(['GET', '{ring}:test:collection']),
        'true');

    // A null member is the same as a missing one, so the route gets no data
    // and answers with its own 400, which has a body and no `error`.
    const none = await socket.callRoute('GET', '/test/collection/set',
        { data: null });
    assert.equal(none.status, 400);
    assert.equal(none.error, undefined);
    assert.match(none.body, /missing or too long data argument/);
    assert.equal(await redis.command(['GET', '{ring}:test:collection']),
        'true');
});

test('route subscription attaches to the socket', async () => {
    const socket = await openCountedSocket();
    const reply = await socket.callRoute('GET', '/');
    assert.equal(reply.status, 200);
    const rendered = pageVersion(reply.body);
    const renderedTotal = Number(pageProp(reply.body, 'total'));

    // The reply showed the state at `rendered`: nothing more until it moves.
    await settle(socket);
    assert.deepEqual(socket.pushes, [],
        'a call-route GET must subscribe at the render version');

    const other = await httpGet(`${server.url}/`);
    assert.equal(other.status, 200);
    const push = await socket.nextPush();
    assert.equal(push.channel, STATS_CHANNEL);
    assert.notEqual(push.full, true, 'the socket shows the render already');
    assert.equal(push.from, rendered, 'the diff must start at the render');
    assert.ok(push.version > rendered, 'the version must grow');
    assert.deepEqual(push.payload.map((op) => op.prop), ['total']);
    assert.equal(push.payload[0].value, String(renderedTotal + 1));
    assert.equal(await redisTotal(redis), renderedTotal + 1);
});

test('route subscription on another channel', async (t) => {
    if (!hasTestPages) {
        t.skip('this build has no test pages (meson -Dtest_pages=true)');
        return;
    }
    const socket = await openCountedSocket();
    const reply = await socket.callRoute('GET', '/test/collection');
    assert.equal(reply.status, 200);
    const rendered = pageVersion(reply.body);
    assert.match(reply.body, new RegExp(`data-ring-channel="${
        FIXTURE_CHANNEL}"`));

    const setter = await openCountedSocket(2);
    const set = await setter.callRoute('GET', '/test/collection/set',
        { data: 'title=Attached' });
    assert.equal(set.status, 200);

    const push = await socket.nextPush(FIXTURE_CHANNEL);
    assert.ok(push.version > rendered, 'the version must grow');
    assert.ok(push.full || push.from === rendered,
        `diff from ${push.from}, not from the render ${rendered}`);
    const title = push.payload.find((op) => op.prop === 'title' &&
        op.op === 'text');
    assert.equal(title?.value, 'Attached',
        `payload: ${JSON.stringify(push.payload)}`);
    await settle(setter);
    assert.equal(setter.pushes.filter((p) => p.channel === FIXTURE_CHANNEL)
        .length, 0, 'the setter did not subscribe to the fixture');
});

test('anonymous socket gets nothing until subscribed', async () => {
    const socket = await openCountedSocket();
    await httpGet(`${server.url}/`);
    const other = await openCountedSocket(2);
    other.terminate();
    await waitRedisActive(1);
    await httpGet(`${server.url}/`);
    await settle(socket);
    assert.deepEqual(socket.pushes, [],
        'an unsubscribed socket must get no push');

    const reply = await socket.callRoute('HEAD', '/');
    assert.equal(reply.status, 200);
    const push = await socket.nextPush();
    assert.equal(push.full, true, 'the first push after HEAD is full');
    await socket.waitValues({ total: await redisTotal(redis), active: 1 });
});

test('Redis down gets 503 reply', async (t) => {
    const ownRedis = await startRedis();
    const ownServer = await startServer({ redisUrl: ownRedis.url });
    t.after(async () => {
        await ownServer.stop();
        await ownRedis.stop();
    });
    const socket = await openSocket(ringUrl(ownServer));
    await waitFor(async () => (await redisActive(ownRedis)) === 1,
        'the socket to be counted');

    await ownRedis.stop();
    await waitFor(async () => (await httpGet(`${ownServer.url}/healthz`))
        .status === 503, '/healthz to answer 503 after Redis stopped');

    for (const method of ['GET', 'HEAD']) {
        const reply = await socket.callRoute(method, '/');
        assert.equal(reply.status, 503, `status for ${method} /`);
        assert.match(reply.headers['content-type'], /^text\/html/);
        if (method === 'GET') {
            assert.match(reply.body, /unavailable/i);
        }
    }
    assert.ok(socket.isOpen(), 'socket closed while Redis was down');
    const ping = await socket.request('ping', 'down');
    assert.equal(ping.status, 200);
    await settle(socket);
    assert.deepEqual(socket.pushes, [], 'a 503 must not subscribe');
    socket.terminate();
});
