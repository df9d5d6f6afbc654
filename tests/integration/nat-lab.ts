// The NAT lab (scripts/nat-lab.sh) driven from TypeScript, for tests/integration/nat-turn.test.ts and
// bench/nat.bench.ts: namespaces up and down, coturn and the DIMA server in the public namespace,
// processes in the homes whose stdout is read as JSON events, and a clean-up that ends every process
// left in the lab's namespaces (they are ours: we created the namespaces) before deleting them.

import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..', '..');
const LAB = join(ROOT, 'scripts', 'nat-lab.sh');
export const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
export const PUBLIC_IP = '203.0.113.1';
export const SERVER_URL = `http://${PUBLIC_IP}:8080`;
const NAMESPACES = ['pub', 'rtr-a', 'home-a', 'rtr-b', 'home-b'] as const;

/** Why the lab cannot run here, or null. */
export function labUnavailable(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root (network namespaces need it; CI runs as root)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (ip) is missing';
  return null;
}

/** A process inside a lab namespace whose stdout is one JSON event per line (or free text). */
export class LabProcess {
  readonly events: Record<string, any>[] = [];
  readonly text: string[] = [];
  private waiters: (() => void)[] = [];
  readonly child: ChildProcess;

  constructor(readonly name: string, prefix: string, namespace: string, command: string[], env: Record<string, string>, logDir: string) {
    const stderr = openSync(join(logDir, `${name}.err`), 'w');
    this.child = spawn('ip', ['netns', 'exec', `${prefix}-${namespace}`, 'env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...command], {
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

export class NatLab {
  /** The processes' stderr, coturn's database and pid file; made by build(). */
  logDir = '';
  readonly secret: string;
  private readonly processes: LabProcess[] = [];
  private up = false;
  private readonly onExit = () => this.tearDown();
  /** Ctrl-C or a killed run: tear down, then end as the signal would have. */
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.tearDown();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  };

  constructor(readonly prefix: string) {
    this.secret = `lab-${prefix}-0123456789abcdef`;
  }

  /** Installs iptables and coturn when missing (as root), then builds the namespaces. */
  build(): void {
    execFileSync('bash', [LAB, 'install'], { stdio: 'inherit' });
    this.logDir = mkdtempSync(join(tmpdir(), 'dima-nat-lab-'));
    process.once('exit', this.onExit);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, this.onSignal);
    this.up = true;
    execFileSync('bash', [LAB, 'up', this.prefix], { stdio: 'inherit' });
  }

  start(name: string, namespace: (typeof NAMESPACES)[number], command: string[], env: Record<string, string> = {}): LabProcess {
    const p = new LabProcess(name, this.prefix, namespace, command, env, this.logDir);
    this.processes.push(p);
    return p;
  }

  /**
   * coturn: shared-secret credentials, one realm, UDP on the public address only (no TCP, TLS, DTLS,
   * CLI or any other listener), no relaying to private addresses (what a deployment should refuse
   * too: docs/DEPLOY.md), its database and pid file in our temporary directory.
   */
  async startTurn(): Promise<LabProcess> {
    const turn = this.start('coturn', 'pub', [
      'turnserver', '-n', '--use-auth-secret', `--static-auth-secret=${this.secret}`, '--realm=dima.test',
      `--listening-ip=${PUBLIC_IP}`, `--relay-ip=${PUBLIC_IP}`, '--listening-port=3478', '--min-port=49152', '--max-port=49252',
      '--no-tcp', '--no-tls', '--no-dtls', '--no-cli', '--no-tcp-relay', '--no-multicast-peers',
      '--denied-peer-ip=10.0.0.0-10.255.255.255', '--denied-peer-ip=127.0.0.0-127.255.255.255',
      '--log-file=stdout', '--simple-log', `--pidfile=${join(this.logDir, 'turnserver.pid')}`, `--userdb=${join(this.logDir, 'turndb')}`,
    ]);
    await turn.line(/Total General servers/, 15_000);
    return turn;
  }

  /** `npm start`'s server on the public address, with STUN and TURN (credentials for `ttlS`) from flags and the environment. */
  async startServer(distDir: string | null, ttlS = 600): Promise<LabProcess> {
    const server = this.start('server', 'pub', [TSX, 'signaling-bootstrap/server.ts', '--stun', `stun:${PUBLIC_IP}:3478`, '--turn', `turn:${PUBLIC_IP}:3478?transport=udp`], {
      HOST: PUBLIC_IP, PORT: '8080', DIST: distDir ?? join(this.logDir, 'no-dist'), TURN_SECRET: this.secret, TURN_TTL: String(ttlS),
    });
    await server.line(/ICE servers on/, 20_000);
    return server;
  }

  /** Drops everything crossing that home's router from now on. */
  block(side: 'a' | 'b'): void {
    execFileSync('bash', [LAB, 'block', this.prefix, side]);
  }

  /** Lets that home's traffic through again. */
  unblock(side: 'a' | 'b'): void {
    execFileSync('bash', [LAB, 'unblock', this.prefix, side]);
  }

  tearDown(keepLogs = false): void {
    for (const p of this.processes) p.kill();
    if (this.up) {
      for (const ns of NAMESPACES) {
        const pids = spawnSync('ip', ['netns', 'pids', `${this.prefix}-${ns}`], { encoding: 'utf8' }).stdout ?? '';
        for (const pid of pids.split(/\s+/).filter(Boolean)) {
          try {
            process.kill(Number(pid), 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      spawnSync('bash', [LAB, 'down', this.prefix], { stdio: 'inherit' });
      this.up = false;
    }
    process.removeListener('exit', this.onExit);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.removeListener(signal, this.onSignal);
    if (!keepLogs && this.logDir) rmSync(this.logDir, { recursive: true, force: true });
  }
}
