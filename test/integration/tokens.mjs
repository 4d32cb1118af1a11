// Signed page tokens and origins. A token that is tampered with, expired,
// signed with another key or malformed closes the socket with 1008 and a
// log line. The handshake rejects foreign origins with 403. The signing key
// comes from --secret-file, RINGSERVER_SECRET_FILE or, without either, a
// random secret that every process on the same Redis shares.

import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
    RingSocket, STATS_CHANNEL, startRedis, startServer, httpGet, openSocket,
    openPageSocket, pageSocketPath, ringUrl, redisActive, redisTotal, sleep,
    terminateSockets, upgradeRequest, waitFor,
} from '../lib/harness.mjs';

const SECRET = 'integration-test-secret-0123456789abcdef';
const OTHER_SECRET = 'another-secret-that-this-server-never-saw';
const KEY_ID_LABEL = 'ringserver key id';
const SHARED_SECRET_KEY = '{ring}:secret';

let redis;
let server;
let secretDir;

function hmacHex(secret, text) {
    return crypto.createHmac('sha256', secret).update(text).digest('hex');
}

// The id a server derives for the key `secret`: 8 hex digits.
function keyId(secret) {
    return hmacHex(secret, KEY_ID_LABEL).slice(0, 8);
}

// Returns the signed token 1.KEYID.EXPIRES.CHANNEL@VERSION.SIGNATURE.
function signToken(secret, { id = keyId(secret),
    expires = Math.floor(Date.now() / 1000) + 600,
    channels = `${STATS_CHANNEL}@1` } = {}) {
    const payload = `1.${id}.${expires}.${channels}`;
    return `${payload}.${hmacHex(secret, payload)}`;
}

// Returns the token in a rendered page's socket address.
function pageToken(html) {
    const socketPath = pageSocketPath(html);
    return new URL(socketPath, 'http://x').searchParams.get('token');
}

function tokenUrl(target, token) {
    return ringUrl(target, `token=${encodeURIComponent(token)}`);
}

function writeSecretFile(name, content) {
    const file = path.join(secretDir, name);
    fs.writeFileSync(file, content, { mode: 0o600 });
    return file;
}

before(async () => {
    secretDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ring-secret-'));
    redis = await startRedis();
    server = await startServer({ redisUrl: redis.url,
        extraArgs: ['--secret-file', writeSecretFile('secret', `${SECRET}\n`)] });
});

after(async () => {
    if (server) {
        const exit = await server.stop();
        assert.equal(exit.code, 0, `ringserver exit: ${JSON.stringify(exit)}`);
    }
    await redis?.stop();
    fs.rmSync(secretDir, { recursive: true, force: true });
});

afterEach(async () => {
    terminateSockets();
    await waitRedisActive(0);
});

function waitRedisActive(expected, target = redis) {
    return waitFor(async () => (await redisActive(target)) === expected,
        `Redis {ring}:active to sum to ${expected}`);
}

// Opens a socket with `token` and the server's own Origin, and asserts that
// the server closes it with 1008 and `reason`, logs that reason, and never
// counts the socket as a viewer.
async function assertRejected(token, reason, what) {
    const socket = new RingSocket(tokenUrl(server, token), 'ring', server.url);
    const closed = await socket.waitClose();
    assert.equal(closed.code, 1008, `close code for ${what}`);
    assert.equal(closed.reason, reason, `close reason for ${what}`);
    assert.deepEqual(socket.pushes, [], `pushes for ${what}`);
    await waitFor(() => server.stderr().includes(
        `realtime: closing socket from 127.0.0.1: ${reason}`),
    `a log line for ${what}`);
    assert.equal(await redisActive(redis), 0,
        `a rejected socket was counted as a viewer (${what})`);
}

// Replaces the digit at `index` of `text` with another digit.
function changeDigit(text, index) {
    const digit = text[index] === '1' ? '2' : '1';
    return text.slice(0, index) + digit + text.slice(index + 1);
}

test('page token uses the file key', async () => {
    const page = await httpGet(`${server.url}/`);
    const token = pageToken(page.body);
    const [version, id, expires, channels, signature] = token.split('.');

    assert.equal(version, '1');
    assert.equal(id, keyId(SECRET), 'key id of the secret file');
    const now = Math.floor(Date.now() / 1000);
    assert.ok(Number(expires) > now, `token expires at ${expires}`);
    assert.match(channels, new RegExp(`^${STATS_CHANNEL}@\\d+$`));
    assert.equal(signature,
        hmacHex(SECRET, token.slice(0, token.lastIndexOf('.'))));
});

test('crafted valid token subscribes', async () => {
    const socket = await openSocket(tokenUrl(server, signToken(SECRET)),
        { origin: server.url });
    const push = await socket.nextPush();
    assert.equal(push.full, true, 'version 1 is older than any state');
    await socket.waitValues({ total: await redisTotal(redis), active: 1 });
    assert.ok(socket.isOpen());
});

test('tampered tokens close with 1008', async () => {
    const reason = 'invalid token: token signature does not match';
    const expires = Math.floor(Date.now() / 1000) + 600;
    const good = signToken(SECRET, { expires, channels: `${STATS_CHANNEL}@7` });
    const signatureAt = good.lastIndexOf('.') + 1;
    const flipped = good.at(-1) === '0' ? '1' : '0';
    const expiresAt = good.indexOf(String(expires));
    const versionAt = good.indexOf('@7') + 1;

    const cases = [
        ['signature', good.slice(0, -1) + flipped],
        ['signature case', good.slice(0, signatureAt) +
            good.slice(signatureAt).toUpperCase()],
        ['channel', good.replace(`${STATS_CHANNEL}@`,
            `${STATS_CHANNEL.replace('post', 'page')}@`)],
        ['version digit', changeDigit(good, versionAt)],
        ['added version', good.replace('@7', '@7,other:x:y@1')],
        ['expiry digit', changeDigit(good, expiresAt + 2)],
        ['later expiry', good.replace(String(expires), String(expires + 3600))],
    ];
    for (const [what, token] of cases) {
        assert.notEqual(token, good, `${what} must change the token`);
        await assertRejected(token, reason, what);
    }
});

test('expired token closes with 1008', async () => {
    const expired = signToken(SECRET,
        { expires: Math.floor(Date.now() / 1000) - 5 });
    await assertRejected(expired, 'invalid token: token expired', 'expired');
});

test('foreign key closes with 1008', async () => {
    await assertRejected(signToken(OTHER_SECRET),
        'invalid token: token signed with an unknown key', 'foreign key');

    // Another secret that claims our key id is caught by the signature.
    await assertRejected(signToken(OTHER_SECRET, { id: keyId(SECRET) }),
        'invalid token: token signature does not match',
        'foreign key under our id');
});

test('malformed tokens close with 1008', async () => {
    const reason = 'invalid token: malformed token';
    const id = keyId(SECRET);
    const signature = '0'.repeat(64);
    const cases = [
        ['one word', 'token'],
        ['version 2', `2.${id}.9999999999.${STATS_CHANNEL}@1.${signature}`],
        ['short signature', `1.${id}.9999999999.${STATS_CHANNEL}@1.abc`],
        ['short key id', `1.abc.9999999999.${STATS_CHANNEL}@1.${signature}`],
        ['signed, no expiry', signToken(SECRET, { expires: 'soon' })],
        ['signed, no version', signToken(SECRET, { channels: STATS_CHANNEL })],
        ['signed, empty version', signToken(SECRET,
            { channels: `${STATS_CHANNEL}@` })],
        ['signed, no channel', signToken(SECRET, { channels: '@1' })],
        ['signed, nine channels', signToken(SECRET,
            { channels: Array(9).fill(`${STATS_CHANNEL}@1`).join(',') })],
    ];
    for (const [what, token] of cases) {
        await assertRejected(token, reason, what);
    }
});

test('unknown channel in token closes', async () => {
    await assertRejected(signToken(SECRET, { channels: 'nope:x:y@1' }),
        'token names an unknown channel', 'unknown channel');
});

test('token without Origin closes', async () => {
    const socket = new RingSocket(tokenUrl(server, signToken(SECRET)),
        'ring');
    const closed = await socket.waitClose();
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason,
        'a page token needs the page\'s Origin header');
    assert.deepEqual(socket.pushes, []);
    assert.equal(await redisActive(redis), 0);
});

test('no Origin allowed for anonymous', async () => {
    const socket = await openSocket(ringUrl(server));
    const reply = await socket.request('ping', 'plain');
    assert.equal(reply.status, 200);
    await waitRedisActive(1);
});

test('foreign Origin gets 403', async () => {
    // The server compares only the host and port with the Host header, not
    // the scheme, because behind a TLS proxy its pages are https: pages.
    const foreign = ['http://evil.example', 'http://localhost:' + server.port,
        'http://127.0.0.1:1', `http://127.0.0.1:${server.port}.evil.example`,
        'null'];
    for (const origin of foreign) {
        for (const url of [ringUrl(server),
            tokenUrl(server, signToken(SECRET))]) {
            const upgrade = await upgradeRequest(url, { origin });
            assert.equal(upgrade.status, 403, `origin ${origin} on ${url}`);
        }
        assert.ok(server.stderr().includes(
            `socket: rejected WebSocket from origin ${origin}`),
        `no log line for origin ${origin}`);
    }
    await assert.rejects(openSocket(ringUrl(server),
        { origin: 'http://evil.example' }), /HTTP 403/);

    const own = await upgradeRequest(ringUrl(server), { origin: server.url });
    assert.equal(own.status, 101, 'own origin');
    await sleep(100);
});

test('--allow-origin accepts that origin', async (t) => {
    const allowed = 'https://app.example:8443';
    const other = await startServer({ redisUrl: redis.url, extraArgs: [
        '--secret-file', path.join(secretDir, 'secret'),
        '--allow-origin', allowed,
        '--allow-origin', 'http://second.example',
    ] });
    t.after(() => other.stop());

    for (const origin of [allowed, 'http://second.example', other.url]) {
        const upgrade = await upgradeRequest(ringUrl(other), { origin });
        assert.equal(upgrade.status, 101, `origin ${origin}`);
    }
    for (const origin of ['https://app.example', 'http://app.example:8443',
        'https://evil.example']) {
        const upgrade = await upgradeRequest(ringUrl(other), { origin });
        assert.equal(upgrade.status, 403, `origin ${origin}`);
    }
    const page = await httpGet(`${other.url}/`);
    const socket = await openSocket(
        `${other.wsUrl}${pageSocketPath(page.body)}`, { origin: allowed });
    await socket.nextPush();
    assert.ok(socket.isOpen());

    // The first server has no --allow-origin.
    const upgrade = await upgradeRequest(ringUrl(server), { origin: allowed });
    assert.equal(upgrade.status, 403);
});

test('RINGSERVER_SECRET_FILE sets the key', async (t) => {
    const envSecret = 'secret-from-the-environment-variable';
    const other = await startServer({ redisUrl: redis.url,
        env: { RINGSERVER_SECRET_FILE: writeSecretFile('env', envSecret) } });
    t.after(() => other.stop());

    const page = await httpGet(`${other.url}/`);
    assert.equal(pageToken(page.body).split('.')[1], keyId(envSecret));
    const socket = await openSocket(tokenUrl(other, signToken(envSecret)),
        { origin: other.url });
    await socket.nextPush();

    const refused = new RingSocket(tokenUrl(other, signToken(SECRET)), 'ring',
        other.url);
    const closed = await refused.waitClose();
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason,
        'invalid token: token signed with an unknown key');
});

test('--secret-file beats the environment', async (t) => {
    const other = await startServer({ redisUrl: redis.url,
        extraArgs: ['--secret-file', path.join(secretDir, 'secret')],
        env: { RINGSERVER_SECRET_FILE: writeSecretFile('env2',
            'a-different-secret-from-the-environment') } });
    t.after(() => other.stop());

    const page = await httpGet(`${other.url}/`);
    assert.equal(pageToken(page.body).split('.')[1], keyId(SECRET));
});

test('short or missing secret file fails', async () => {
    const cases = [
        ['short', writeSecretFile('short', 'tooshort\n'),
            /holds 8 bytes; it needs at least 16/],
        ['white space only', writeSecretFile('blank', ' \n\t\n'),
            /holds 0 bytes; it needs at least 16/],
        ['missing', path.join(secretDir, 'missing'),
            /cannot open secret file .*missing/],
    ];
    for (const [what, file, message] of cases) {
        const failing = await startServer({ redisUrl: redis.url,
            extraArgs: ['--secret-file', file], waitReady: false });
        const exit = await Promise.race([failing.exited,
            sleep(5000).then(() => null)]);
        if (!exit) {
            await failing.kill();
        }
        assert.ok(exit, `ringserver with a ${what} secret file kept running`);
        assert.notEqual(exit.code, 0, `exit status with a ${what} file`);
        assert.match(failing.stderr(), message, `message for a ${what} file`);
    }
});

test('processes share a generated secret', async (t) => {
    const sharedRedis = await startRedis();
    const first = await startServer({ redisUrl: sharedRedis.url });
    const second = await startServer({ redisUrl: sharedRedis.url });
    t.after(async () => {
        await second.stop();
        await first.stop();
        await sharedRedis.stop();
    });

    const stored = await sharedRedis.command(['GET', SHARED_SECRET_KEY]);
    assert.equal(typeof stored, 'string', `${SHARED_SECRET_KEY} is not set`);
    const page = await httpGet(`${first.url}/`);
    const token = pageToken(page.body);
    assert.equal(token.split('.')[1], keyId(stored),
        'the page must be signed with the key stored in Redis');
    const otherPage = await httpGet(`${second.url}/`);
    assert.equal(pageToken(otherPage.body).split('.')[1], keyId(stored));

    // A page rendered by the first process connects to the second.
    const socket = await openSocket(tokenUrl(second, token),
        { origin: second.url });
    await socket.nextPush();
    await socket.waitValues({ total: 2, active: 1 });
    assert.ok(socket.isOpen());

    // After a restart the first process still takes its old page.
    await first.stop();
    const restarted = await startServer({ redisUrl: sharedRedis.url,
        port: first.port });
    t.after(() => restarted.stop());
    assert.equal(await sharedRedis.command(['GET', SHARED_SECRET_KEY]),
        stored, 'a restart must keep the shared secret');
    const again = await openSocket(tokenUrl(restarted, token),
        { origin: restarted.url });
    await again.nextPush();
    await again.waitValues({ total: 2, active: 2 });
    assert.ok(again.isOpen());

    // The page token works as a browser would use it, too.
    const { socket: pageSocket } = await openPageSocket(restarted);
    await pageSocket.nextPush();
    assert.ok(pageSocket.isOpen());
    for (const open of [socket, again, pageSocket]) {
        open.terminate();
    }
    await waitRedisActive(0, sharedRedis);
});
