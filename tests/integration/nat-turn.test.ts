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

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const LAB = join(ROOT, 'scripts', 'nat-lab.sh');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const PEER = join(ROOT, 'tests', 'integration', 'nat-lab-peer.ts');
const PREFIX = `dima${process.pid}`;
const PUBLIC_IP = '203.0.113.1';
const SERVER = `http://${PUBLIC_IP}:8080`;
const SECRET = `lab-${process.pid}-0123456789abcdef`;

function whyNot(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need it; CI runs as root)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (ip) is missing';
  return null;
}
const skipReason = whyNot();
if (skipReason) console.warn(`[nat-turn] SKIPPED: ${skipReason}`);

/** A process inside a lab namespace whose stdout is one JSON event per line (or free text). */
class LabProcess {
  readonly events: Record<string, any>[] = [];
  readonly text: string[] = [];
  private waiters: (() => void)[] = [];
  readonly child: ChildProcess;

  constructor(readonly name: string, namespace: string, command: string[], env: Record<string, string> = {}, logDir: string) {
    const stderr = openSync(join(logDir, `${name}.err`), 'w');
    this.child = spawn('ip', ['netns', 'exec', `${PREFIX}-${namespace}`, 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command], {
      cwd: ROOT, stdio: ['pipe', 'pipe', stderr],
    });
    let buffered = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        this.text.push(line);
        try {
          const event = JSON.parse(line);
          if (event && typeof event.e === 'string') this.events.push(event);
        } catch {
          // free text (coturn, the server's log)
        }
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  /** The first event (or text line) matching, waiting up to timeoutMs. */
  until<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no ${what} within ${timeoutMs} ms; stdout:\n${this.text.slice(-20).join('\n')}`)), timeoutMs);
      const check = () => {
        const found = find();
        if (found === undefined) return this.waiters.push(check);
        clearTimeout(timer);
        resolve(found);
      };
      check();
    });
  }

  event(kind: string | string[], timeoutMs: number): Promise<Record<string, any>> {
    const kinds = Array.isArray(kind) ? kind : [kind];
    return this.until(() => this.events.find((e) => kinds.includes(e.e)), timeoutMs, kinds.join(' or '));
  }

  line(pattern: RegExp, timeoutMs: number): Promise<string> {
    return this.until(() => this.text.find((t) => pattern.test(t)), timeoutMs, String(pattern));
  }

  send(line: string): void {
    this.child.stdin!.write(`${line}\n`);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

const processes: LabProcess[] = [];
let logDir = '';
let labUp = false;

/** Every process left in our namespaces (ours by construction), then the namespaces themselves. */
function tearDown(): void {
  for (const p of processes) p.kill();
  if (!labUp) return;
  for (const ns of ['pub', 'rtr-a', 'home-a', 'rtr-b', 'home-b']) {
    const pids = spawnSync('ip', ['netns', 'pids', `${PREFIX}-${ns}`], { encoding: 'utf8' }).stdout ?? '';
    for (const pid of pids.split(/\s+/).filter(Boolean)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  spawnSync('bash', [LAB, 'down', PREFIX], { stdio: 'inherit' });
  labUp = false;
}

function start(name: string, namespace: string, command: string[], env: Record<string, string> = {}): LabProcess {
  const p = new LabProcess(name, namespace, command, env, logDir);
  processes.push(p);
  return p;
}

function peer(name: string, home: 'a' | 'b', args: string[]): LabProcess {
  return start(name, `home-${home}`, [TSX, PEER, '--bootstrap', `ws://${PUBLIC_IP}:8080/bootstrap`, '--ice', `${SERVER}/ice`, ...args]);
}

describe.skipIf(skipReason !== null)('two homes behind symmetric NATs (network namespaces, coturn)', () => {
  let home: LabProcess;
  let homeId = '';

  beforeAll(async () => {
    // On CI scripts/test.sh has installed them already; this covers a bare `npx vitest run` as root.
    execFileSync('bash', [LAB, 'install'], { stdio: 'inherit' });
    logDir = mkdtempSync(join(tmpdir(), 'dima-nat-lab-'));
    process.once('exit', tearDown);
    labUp = true;
    execFileSync('bash', [LAB, 'up', PREFIX], { stdio: 'inherit' });

    // coturn: shared-secret credentials, this realm, UDP on the public address only (no TCP, TLS,
    // DTLS, CLI or any other listener), no relaying to private addresses (what a deployment should
    // also refuse: docs/DEPLOY.md), its database and pid file in our temporary directory.
    const turn = start('coturn', 'pub', [
      'turnserver', '-n', '--use-auth-secret', `--static-auth-secret=${SECRET}`, '--realm=dima.test',
      `--listening-ip=${PUBLIC_IP}`, `--relay-ip=${PUBLIC_IP}`, '--listening-port=3478', '--min-port=49152', '--max-port=49252',
      '--no-tcp', '--no-tls', '--no-dtls', '--no-cli', '--no-tcp-relay', '--no-multicast-peers',
      '--denied-peer-ip=10.0.0.0-10.255.255.255', '--denied-peer-ip=127.0.0.0-127.255.255.255',
      '--log-file=stdout', '--simple-log', `--pidfile=${join(logDir, 'turnserver.pid')}`, `--userdb=${join(logDir, 'turndb')}`,
    ]);
    await turn.line(/Total General servers/, 15_000);

    const server = start('server', 'pub', [TSX, 'signaling-bootstrap/server.ts', '--stun', `stun:${PUBLIC_IP}:3478`, '--turn', `turn:${PUBLIC_IP}:3478?transport=udp`], {
      HOST: PUBLIC_IP, PORT: '8080', DIST: join(logDir, 'no-dist'), TURN_SECRET: SECRET, TURN_TTL: '600',
    });
    await server.line(/ICE servers on/, 20_000);
    expect(server.text.join('\n')).not.toContain(SECRET);

    home = peer('home-a', 'a', ['--echo', '--mode', 'none']);
    const joined = await home.event(['joined', 'join-failed', 'error'], 30_000);
    expect(joined.e).toBe('joined');
    homeId = joined.id;
    await home.event('volunteering', 15_000);
  });

  afterAll(() => {
    tearDown();
    // The processes' stderr, for a failing run: NAT_LAB_KEEP_LOGS=1 keeps the directory.
    if (process.env.NAT_LAB_KEEP_LOGS) console.info(`[nat-turn] logs kept in ${logDir}`);
    else if (logDir) rmSync(logDir, { recursive: true, force: true });
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

    // The second home's network dies (its router drops everything): no close frame, no FIN, nothing.
    const openNow = () => [...home.events].reverse().find((e) => e.e === 'links');
    expect(openNow()?.open).toBeGreaterThanOrEqual(1);
    const blockedAt = Date.now();
    execFileSync('bash', [LAB, 'block', PREFIX, 'b']);
    const closed = await home.until(() => home.events.find((e) => e.e === 'links' && e.at >= blockedAt && e.open === 0), 45_000, 'the link to close');
    const detectedMs = closed.at - blockedAt;
    console.info(`[nat-turn] dead network: the first home's link closed ${detectedMs} ms later (${JSON.stringify(closed.stats)})`);
    expect(closed.stats.iceDisconnectedClosed + closed.stats.iceFailedClosed).toBeGreaterThanOrEqual(1);
    expect(detectedMs).toBeLessThan(40_000);
    b.kill();
  });
});
