// Across real networks (issue 16): two homes, each behind its own symmetric NAT, and a public network
// with the DIMA server and a coturn TURN server sharing a secret with it, all network namespaces
// (scripts/nat-lab.sh). A Node peer in each home gets its ICE servers from the server's GET /ice, as
// a tab does, and the second joins through the first:
//   - no ICE servers (the old default): no link, the join fails;
//   - STUN only: candidates through the NATs are found, but symmetric NATs make them useless: no link;
//   - STUN + TURN with the minted short-lived credentials: a link whose selected pair is relayed,
//     an overlay request and its reply, an IM message found by search and echoed back;
//   - then the second home's network dies: the first node's link closes by itself (ICE), and how soon.
//
// Needs root, iproute2, iptables and coturn (scripts/nat-lab.sh install gets the last two from
// Debian; scripts/test.sh runs it on CI). Otherwise SKIPPED, saying why. It creates only its own
// namespaces (named after this process), which hold every address, route, rule and process it starts;
// nothing is connected to the machine's own network. It removes all of it in afterAll, and on exit.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { labUnavailable, NatLab, PUBLIC_IP, ROOT, SERVER_URL, TSX, type LabProcess } from './nat-lab.js';

const PEER = join(ROOT, 'tests', 'integration', 'nat-lab-peer.ts');
const skipReason = labUnavailable();
if (skipReason) console.warn(`[nat-turn] SKIPPED: ${skipReason}`);
const lab = new NatLab(`dima${process.pid}`);

function peer(name: string, home: 'a' | 'b', args: string[]): LabProcess {
  return lab.start(name, `home-${home}`, [TSX, PEER, '--bootstrap', `ws://${PUBLIC_IP}:8080/bootstrap`, '--ice', `${SERVER_URL}/ice`, ...args]);
}

describe.skipIf(skipReason !== null)('two homes behind symmetric NATs (network namespaces, coturn)', () => {
  let home: LabProcess;
  let homeId = '';

  beforeAll(async () => {
    // On CI scripts/test.sh has installed iptables and coturn already; this covers a bare
    // `npx vitest run` as root.
    lab.build();
    await lab.startTurn();
    const server = await lab.startServer(null);
    expect(server.text.join('\n')).not.toContain(lab.secret);

    home = peer('home-a', 'a', ['--echo', '--mode', 'none']);
    const joined = await home.event(['joined', 'join-failed', 'error'], 30_000);
    expect(joined.e).toBe('joined');
    homeId = joined.id;
    await home.event('volunteering', 15_000);
  });

  afterAll(() => {
    // The processes' stderr, for a failing run: NAT_LAB_KEEP_LOGS=1 keeps the directory.
    lab.tearDown(!!process.env.NAT_LAB_KEEP_LOGS);
    if (process.env.NAT_LAB_KEEP_LOGS) console.info(`[nat-turn] logs kept in ${lab.logDir}`);
  });

  /** Sets the first home's ICE mode, starts the second home's peer with the same mode, and returns its outcome. */
  async function joinFromB(mode: 'none' | 'stun' | 'turn'): Promise<{ b: LabProcess; outcome: Record<string, any> }> {
    home.send(`mode ${mode}`);
    await home.until(() => home.events.find((e) => e.e === 'mode' && e.mode === mode), 5_000, `mode ${mode}`);
    const b = peer(`home-b-${mode}`, 'b', ['--mode', mode, ...(mode === 'turn' ? ['--target', homeId] : [])]);
    const ice = await b.event('ice', 15_000);
    // Both got the servers from /ice: STUN, and TURN with a minted credential (not the secret).
    expect(ice.servers).toEqual([{ urls: `stun:${PUBLIC_IP}:3478`, credential: false }, { urls: [`turn:${PUBLIC_IP}:3478?transport=udp`], credential: true }]);
    const outcome = await b.event(['joined', 'join-failed', 'error'], 45_000);
    return { b, outcome };
  }

  it('without ICE servers the second home cannot link to the first: its join fails', async () => {
    const { b, outcome } = await joinFromB('none');
    console.info(`[nat-turn] no ICE servers: ${outcome.e} after ${outcome.ms} ms (${outcome.reason ?? ''})`);
    expect(outcome.e).toBe('join-failed');
    b.kill();
  });

  it('with STUN only the symmetric NATs defeat the server-reflexive candidates: its join fails', async () => {
    const { b, outcome } = await joinFromB('stun');
    console.info(`[nat-turn] STUN only: ${outcome.e} after ${outcome.ms} ms (${outcome.reason ?? ''})`);
    expect(outcome.e).toBe('join-failed');
    b.kill();
  });

  it('with TURN (short-lived credentials from /ice) they link over a relay, route and chat; a dead network closes the link', async () => {
    const { b, outcome } = await joinFromB('turn');
    expect(outcome.e).toBe('joined');
    const paths = (await b.event('paths', 10_000)).paths as Record<string, { local: string; remote: string; protocol: string }>;
    expect(Object.keys(paths)).toEqual([homeId]);
    const path = paths[homeId];
    expect([path.local, path.remote]).toContain('relay');
    const echo = await b.event(['echo', 'error'], 20_000);
    expect(echo).toMatchObject({ e: 'echo', body: { ping: 1 } });
    const chat = await b.event(['chat', 'error'], 60_000);
    expect(chat).toMatchObject({ e: 'chat', text: 'hello across two NATs' });
    console.info(
      `[nat-turn] TURN: joined in ${outcome.ms} ms over ${path.local} -> ${path.remote} (${path.protocol}), ` +
        `overlay echo ${echo.rttMs} ms (${echo.hops} hop), chat echo ${chat.ms} ms`,
    );

    // A brief loss (4 s: less than ICE needs to report `disconnected` and the 5 s grace to run out,
    // and than the overlay's 15 s keep-alive failure): the link stays and carries requests after.
    // Only closes for lost connectivity (or an error) count against the claim: a node may also close a
    // link it chose to (a second link, as a bootstrap meet makes, let go when idle: closedBy.local/remote),
    // which once landed inside this window on CI and failed the old count of all closes.
    const latest = (p: LabProcess) => [...p.events].reverse().find((e) => e.e === 'links')!;
    const lost = (p: LabProcess) => {
      const { closedBy, iceDisconnectedClosed, iceFailedClosed, peersFailed } = latest(p).stats;
      return { connectivity: closedBy.connectivity, error: closedBy.error, iceDisconnectedClosed, iceFailedClosed, peersFailed };
    };
    expect(latest(home).open).toBeGreaterThanOrEqual(1);
    const lostBefore = [lost(home), lost(b)];
    lab.block('b');
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    lab.unblock('b');
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect([lost(home), lost(b)]).toEqual(lostBefore);
    expect(latest(home).open).toBeGreaterThanOrEqual(1);
    expect(latest(b).open).toBeGreaterThanOrEqual(1);
    const echoes = b.events.filter((e) => e.e === 'echo').length;
    b.send('echo');
    await b.until(() => b.events.filter((e) => e.e === 'echo').length > echoes || undefined, 10_000, 'an echo after the loss');
    console.info(`[nat-turn] brief loss (4 s): link kept on both sides, ICE disconnected/recovered ${JSON.stringify([latest(home).stats.iceDisconnected, latest(home).stats.iceRecovered])} on the first home, duplicate links ${JSON.stringify([latest(home).stats.duplicateLinks, latest(b).stats.duplicateLinks])}`);

    // The second home's network dies (its router drops everything): no close frame, no FIN, nothing.
    // The first home's link closes by itself: ICE (disconnected past the grace, or failed) or, when
    // libwebrtc is slow to report it, the overlay's keep-alive (failure after 15 s), whichever first.
    const blockedAt = Date.now();
    lab.block('b');
    const closed = await home.until(() => home.events.find((e) => e.e === 'links' && e.at >= blockedAt && e.open === 0), 45_000, 'the link to close');
    const detectedMs = closed.at - blockedAt;
    console.info(`[nat-turn] dead network: the first home's link closed ${detectedMs} ms later, by ${JSON.stringify(closed.stats.closedBy)}`);
    expect(detectedMs).toBeLessThan(40_000);
    b.kill();
  });
});
