// Command line: --help, --version, and exit status 2 with a message and the
// usage for unknown options and invalid values.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBinary } from '../lib/harness.mjs';

const OPTIONS = ['--port', '--host', '--redis', '--templates', '--static',
    '--log-level', '--presence-ttl', '--help', '--version'];

function assertUsage(text, context) {
    assert.match(text, /usage/i, `${context}: no usage text`);
    assert.match(text, /--port/, `${context}: usage does not list --port`);
}

test('--help prints usage', async () => {
    const result = await runBinary(['--help']);
    const text = result.stdout + result.stderr;

    assert.equal(result.code, 0);
    assertUsage(text, '--help');
    for (const option of OPTIONS) {
        assert.ok(text.includes(option), `--help does not mention ${option}`);
    }
});

test('--version prints version', async () => {
    const result = await runBinary(['--version']);
    const text = result.stdout + result.stderr;

    assert.equal(result.code, 0);
    assert.match(text, /\b\d+\.\d+\.\d+\b/);
});

test('unknown option exits 2', async () => {
    const result = await runBinary(['--bogus']);

    assert.equal(result.code, 2);
    assert.match(result.stderr, /--bogus/);
    assertUsage(result.stderr, '--bogus');
});

const BAD_VALUES = [
    ['--port', 'abc'],
    ['--port', '70000'],
    ['--port', '0'],
    ['--port', '-1'],
    ['--port', '80x'],
    ['--port', ''],
    ['--redis', 'ftp://x'],
    ['--redis', 'redis://'],
    ['--redis', 'redis://host:notaport'],
    ['--log-level', 'loud'],
    ['--presence-ttl', 'abc'],
    ['--presence-ttl', '0'],
];

for (const [option, value] of BAD_VALUES) {
    test(`${option} ${JSON.stringify(value)} exits 2`, async () => {
        const result = await runBinary([option, value]);

        assert.equal(result.code, 2,
            `exit ${result.code}, stderr: ${result.stderr}`);
        assert.ok(result.stderr.includes(option),
            `message does not name ${option}: ${result.stderr}`);
        assertUsage(result.stderr, `${option} ${value}`);
    });
}

test('missing option value exits 2', async () => {
    const result = await runBinary(['--port']);

    assert.equal(result.code, 2);
    assert.match(result.stderr, /--port/);
});

test('positional argument exits 2', async () => {
    const result = await runBinary(['extra']);

    assert.equal(result.code, 2);
    assert.match(result.stderr, /extra/);
});
