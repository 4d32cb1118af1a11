// Launches Debian's Chromium for the browser tests through playwright-core,
// with flags that keep it off the network this machine does not have.

import { chromium } from 'playwright-core';

const CHROMIUM_PATH = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

// playwright-core 1.65 rejects --user-data-dir in `args` and gives every
// launch a fresh temporary profile instead, so that flag is not listed.
const CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
];

// Chromium logs a failed WebSocket handshake as a console error by itself,
// which tests expect while the server is down.
export const FAILED_HANDSHAKE =
    /^WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/ring[^']*' failed/;

// Resolves with a headless Chromium browser.
export function launchChromium() {
    return chromium.launch({
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: CHROMIUM_ARGS,
        timeout: 30000,
    });
}
