// How we launch Debian's Chromium (Playwright's own browser download is not available here): the
// e2e config and the IM bench share these options.

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Host candidates as plain IPs: mDNS (.local) names do not resolve inside CI containers.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];
