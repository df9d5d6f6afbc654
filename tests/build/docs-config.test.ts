// docs/ARCHITECTURE.md and docs/DEPLOY.md quote timeouts, sizes and limits: each quote below is
// built from the constant it names, so changing a constant without its sentence fails here. The
// sections "Mail for the offline" and "Identity backup, themes and loading" are checked by their
// own owners' tests, not here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_INTRODUCER as INTRODUCER } from '../../signaling-bootstrap/introducer-config.js';
import { HEARTBEAT_MS } from '../../signaling-bootstrap/introduction-socket.js';
import { ICE_DEPLOYMENT_LIMITS } from '../../signaling-bootstrap/ice-config.js';
import { HTTP_LIMITS } from '../../signaling-bootstrap/server.js';
import { BROADCAST_LIMITS } from '../../src/app/broadcast-introducer.js';
import { APP_CONFIG } from '../../src/app/config.js';
import { ICE_LIMITS } from '../../src/app/ice-config.js';
import { CHECK_BYTES, COMMON_MAX_MESSAGE, COMMON_SCTP_PORT } from '../../src/app/invite/codec.js';
import { INVITE_LIMITS } from '../../src/app/invite/config.js';
import { CONNECT_SLACK_MS } from '../../src/app/invite/invite-flow.js';
import { DEFAULT_SEED_BOARD_CONFIG } from '../../src/app/seed-board.js';
import { MAX_LEARNED_SEEDS } from '../../src/app/seed-cache.js';
import { SEED_LIMITS } from '../../src/app/seed-record.js';
import { SEED_LOOKUP_DELAYS_MS } from '../../src/app/session.js';
import { VERIFIED_MEMORY } from '../../src/im/chat.js';
import { DEFAULT_IM_CONFIG, MAX_NAME_CHARS, MAX_TEXT_CHARS } from '../../src/im/config.js';
import { EPOCH_NONCE_BYTES } from '../../src/im/epoch.js';
import { PAST_SESSIONS } from '../../src/im/presence.js';
import { HOP_BUCKETS } from '../../src/im/stats.js';
import { ANSWER_LIMITS } from '../../src/overlay/answer-budget.js';
import { DEFAULT_CONFIG as OVERLAY, MAX_FRAME_BYTES } from '../../src/overlay/config.js';
import { MAX_REROUTES } from '../../src/overlay/forwarder.js';
import { JOIN_DIAL_ROUNDS, LINKED_PEERS_OFFERED } from '../../src/overlay/join.js';
import { HOLE_ASK_RETRIES, HOLE_PROBE_DELAY_MS, HOLE_PROBE_MIN_BLOCK, LEAF_DIAL_WAIT_MS, MAX_HOLE_PROBES } from '../../src/overlay/maintenance.js';
import { RETRIES_AROUND } from '../../src/overlay/requests.js';
import { SWALLOWER_LIMITS } from '../../src/overlay/swallowers.js';
import { MAX_SIGNAL_CHARS } from '../../src/overlay/transports/frame-codec.js';
import { BROWSER_PEER_CONNECTION_LIMIT } from '../../src/overlay/transports/peer-connection-budget.js';
import { DEFAULT_ICE_DISCONNECTED_GRACE_MS } from '../../src/overlay/transports/webrtc-transport.js';
import { DEFAULT_SCAN_CONFIG as SCAN } from '../../src/scan/config.js';
import { MAX_RESULTS_BYTES } from '../../src/scan/messages.js';
import { DEFAULT_OPTIONS as SIM } from '../../src/sim/cli.js';
import { NOTIFY_BURST, NOTIFY_PREVIEW_CHARS, NOTIFY_WINDOW_MS, SOUND_GAP_MS } from '../../src/ui/notifier.js';

const text = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8').replace(/\s+/g, ' ');
const architecture = text('docs/ARCHITECTURE.md');
const deploy = text('docs/DEPLOY.md');

/** 1500 -> "1.5 s" */
const s = (ms: number) => `${ms / 1000} s`;
/** 600000 -> 10 */
const min = (ms: number) => ms / 60_000;
/** 1500 -> "1,500" */
const n = (x: number) => x.toLocaleString('en-US');
const pct = (share: number) => `${Math.round(share * 100)}%`;
const kib = (bytes: number) => `${bytes / 1024} KiB`;
const words = (x: number, said: Record<number, string>) => said[x] ?? String(x);
const quarter = (share: number) => words(share, { 0.25: 'a quarter', 0.5: 'half', 0.75: 'three quarters' });
const times = (k: number) => words(k, { 1: 'once', 2: 'twice' });

const ARCHITECTURE_QUOTES: string[] = [
  // The layout and the overlay
  `(a node's answer in parts of at most ${kib(MAX_RESULTS_BYTES)}, under the ${kib(MAX_FRAME_BYTES)} frame cap)`,
  `the simulator's ICE-consent model, ${s(SIM.consentTimeoutMs)})`,
  `2 x RTT + 100 ms (at least ${OVERLAY.hopAckMinMs} ms) and the hop is suspected and the frame rerouted around it (${MAX_REROUTES} times at most)`,
  `waits (<= ${s(OVERLAY.rootHoldMs)}, <= ${OVERLAY.rootHoldMax} frames)`,
  `after ${s(DEFAULT_ICE_DISCONNECTED_GRACE_MS)} of ICE \`disconnected\``,
  `A leaf named by gossip is dialled after ${LEAF_DIAL_WAIT_MS / 1000}-${(2 * LEAF_DIAL_WAIT_MS) / 1000} s`,
  `not redialled from gossip for ${min(OVERLAY.recentlyGoneMs)} minutes`,
  `A proximity swap needs a ${pct(1 - OVERLAY.proximityGainShare)} and ${OVERLAY.proximityMinGainMs} ms lower RTT`,
  `while less than ${pct(OVERLAY.budgetTableHeldShare)} of the limit is held; our own table dials also while fewer than ${OVERLAY.budgetTableRecentMax} were constructed in the last ${min(OVERLAY.budgetWindowMs)} minutes`,
  `proximity probes only under ${pct(OVERLAY.budgetProximityHeldShare)} held and ${OVERLAY.budgetProximityRecentMax} per ${min(OVERLAY.budgetWindowMs)} minutes`,
  `Chromium refuses a page's ${BROWSER_PEER_CONNECTION_LIMIT + 1}st RTCPeerConnection`,
  `At \`held >= limit\` (${BROWSER_PEER_CONNECTION_LIMIT} in the app`,
  `a random sample of ${LINKED_PEERS_OFFERED} of its linked peers`,
  `The joiner dials in up to ${JOIN_DIAL_ROUNDS} rounds`,
  `(${HOLE_ASK_RETRIES} asks at most). ${s(HOLE_PROBE_DELAY_MS)} later`,
  `rows whose blocks hold >= ${HOLE_PROBE_MIN_BLOCK} nodes on average`,
  `(at most ${MAX_HOLE_PROBES} lookups)`,
  `(\`keepAliveMs\` ${s(OVERLAY.keepAliveMs)} on leaves, failure after \`failureTimeoutMs\` ${s(OVERLAY.failureTimeoutMs)}; \`tableKeepAliveMs\` ${s(OVERLAY.tableKeepAliveMs)} on table-only links, failure after 3x that, ${s(3 * OVERLAY.tableKeepAliveMs)}`,
  `**neighbourhood refresh** every ${s(OVERLAY.leafSetRefreshMs)} (\`leafSetRefreshMs\`)`,
  `Beyond \`maxLinks\` (${OVERLAY.maxLinks})`,
  // Rings that heal
  `at most ${OVERLAY.mergeChecksMax} checks per node per ${OVERLAY.mergePeriodMs === 60_000 ? 'minute' : s(OVERLAY.mergePeriodMs)}`,
  `hints are ignored for ${s(OVERLAY.mergeCooldownMs)}`,
  `hands the merge to ${OVERLAY.mergeFarHints} random row-0 entries, down to depth ${OVERLAY.mergeFarDepth}`,
  `is remembered (${OVERLAY.lostPeersMax} at most) and dialled again after ${s(OVERLAY.lostRetryMs)}, doubling to ${min(OVERLAY.lostRetryMaxMs)} min, for ${min(OVERLAY.lostRetryForMs)} min`,
  `links across close at the consent timeout (${s(SIM.consentTimeoutMs)})`,
  // One hostile peer
  `(its \`SIGNAL ask\`, spent on one offer, ${s(ANSWER_LIMITS.grantTtlMs)}), with at most ${ANSWER_LIMITS.maxInFlight} handshakes in flight and a token bucket (burst ${ANSWER_LIMITS.burst}; ${ANSWER_LIMITS.perMinute} a minute on a tab, ${ANSWER_LIMITS.unlimitedPerMinute} on a Node peer). Grants are bounded (${ANSWER_LIMITS.maxGrants})`,
  `sent again at ${Array.from({ length: RETRIES_AROUND }, (_, i) => `${i + 1}/${RETRIES_AROUND + 1}`).join(' and ')} of its timeout`,
  `${times(SWALLOWER_LIMITS.strikes)} in ${min(SWALLOWER_LIMITS.strikeWindowMs)} minutes, is avoided as an intermediate hop for ${min(SWALLOWER_LIMITS.avoidMs)} minutes`,
  `a token bucket (${OVERLAY.routedPerNeighbourPerSec}/s, burst ${n(OVERLAY.routedPerNeighbourBurst)}) and its requests may hold at most ${quarter(OVERLAY.reversePathShare)} of the reverse-path table`,
  `filled a ${n(SCAN.maxEntries)}-entry store`,
  `from a node among the key's k + 1 + ${SCAN.replicaSlack} holders`,
  `${SCAN.verifyPerSecond}/s per node (burst ${SCAN.verifyBurst}), ${SCAN.newOwnerVerifyPerSecond}/s for owners we hold nothing of (burst ${SCAN.newOwnerVerifyBurst}), ${SCAN.replicaVerifyPerSecond}/s per replica holder, ${SCAN.verifyPerFrame} per frame`,
  `Quotas: ${SCAN.maxEntriesPerOwner} entries and ${kib(SCAN.maxBytesPerOwner)} per owner, ${SCAN.maxBytes / 1024 / 1024} MiB per node`,
  `answers go in parts of at most ${kib(MAX_RESULTS_BYTES)}, a searcher checks at most ${SCAN.verifyPerFrame} signatures per reply frame`,
  `and ${n(SCAN.searchVerifyLimit)} per search`,
  // The introducer (its defaults: signaling-bootstrap/introducer-config.ts; HTTP: server.ts)
  `It now holds joiners for ${s(INTRODUCER.returnWindowMs)} after it starts`,
  `never within ${s(INTRODUCER.servedRecentlyMs)} of a volunteer's last answer. For ${min(INTRODUCER.meetWindowMs)} minutes after a start or a "first"`,
  `at most ${INTRODUCER.meetsPerMinute} a minute, one per connection`,
  `${INTRODUCER.maxVolunteers} fake volunteers that never answer leave a proven one in place`,
  `${INTRODUCER.maxConnectionsPerAddress} introducer connections and ${INTRODUCER.maxVolunteersPerAddress} volunteer slots per address`,
  `**Deadlines**: hello ${s(INTRODUCER.helloTimeoutMs)}, offer ${s(INTRODUCER.offerTimeoutMs)} after \`ready\``,
  `${HTTP_LIMITS.socketsPerAddress} TCP sockets per address at the HTTP server`,
  `HTTP headers ${s(HTTP_LIMITS.headersTimeoutMs)} checked every ${HTTP_LIMITS.checkEveryMs === 1_000 ? 'second' : s(HTTP_LIMITS.checkEveryMs)}`,
  // Instant messaging
  `\`directIdleMs\` (${s(DEFAULT_IM_CONFIG.directIdleMs)})`,
  `recognised by its digest among the last ${VERIFIED_MEMORY} checked`,
  `draws a random ${EPOCH_NONCE_BYTES}-byte nonce`,
  `(the last ${PAST_SESSIONS} per buddy are remembered)`,
  `${DEFAULT_IM_CONFIG.verifyPerBuddyPerSecond} a second per buddy (bursts of ${2 * DEFAULT_IM_CONFIG.verifyPerBuddyPerSecond}), ${DEFAULT_IM_CONFIG.verifyStrangersPerSecond} for strangers' notices, ${DEFAULT_IM_CONFIG.verifyPerSecond} in all`,
  `cost at most ${2 * DEFAULT_IM_CONFIG.verifyPerBuddyPerSecond + 5} checks (two seconds of the buddy's budget`,
  `the flood turns the store over in ${n(SCAN.maxEntries / SCAN.newOwnerVerifyPerSecond)} s, slower than the ${n(SCAN.republishMs / 1000)} s re-publish`,
  `depth ${OVERLAY.mergeFarDepth} (${Array.from({ length: OVERLAY.mergeFarDepth }, (_, i) => OVERLAY.mergeFarHints ** (i + 1)).join(' + ')} = ${Array.from({ length: OVERLAY.mergeFarDepth }, (_, i) => OVERLAY.mergeFarHints ** (i + 1)).reduce((a, b) => a + b)} fronts per ring)`,
  `\`maxIncomingRequests\` (${DEFAULT_IM_CONFIG.maxIncomingRequests})`,
  `chats by hops in ${HOP_BUCKETS + 1} buckets`,
  // The UI
  `body cut at ${NOTIFY_PREVIEW_CHARS} chars; at most ${NOTIFY_BURST} per ${s(NOTIFY_WINDOW_MS)}`,
  `at most one per ${s(SOUND_GAP_MS)}`,
  `(\`MAX_TEXT_CHARS\` ${n(MAX_TEXT_CHARS)}, \`MAX_NAME_CHARS\` ${MAX_NAME_CHARS})`,
  `refuses a name over ${MAX_NAME_CHARS}`,
  // Invites
  `up to the invite's validity (+${s(CONNECT_SLACK_MS)})`,
  `the first ${CHECK_BYTES} bytes of SHA-256`,
  `(flags when ${COMMON_SCTP_PORT} and ${COMMON_MAX_MESSAGE})`,
  `up to ${INVITE_LIMITS.maxCandidates} UDP candidates`,
  `valid for ${min(INVITE_LIMITS.validityMs)} minutes (\`INVITE_LIMITS.validityMs\`)`,
  `a tab keeps at most ${INVITE_LIMITS.maxPending} waiting`,
  `Text over ${n(INVITE_LIMITS.maxCodeChars)} characters is refused`,
  `into a ${INVITE_LIMITS.maxPayloadBytes + 1}-byte buffer`,
  // Entry points, seeds and rejoining
  `at most ${APP_CONFIG.maxSeedUrlChars} characters, at most ${APP_CONFIG.maxConfiguredSeeds})`,
  `head start of ${s(APP_CONFIG.entryHeadStartMs)}`,
  `every ${min(DEFAULT_SEED_BOARD_CONFIG.announceMs)} minutes with a ${min(DEFAULT_SEED_BOARD_CONFIG.ttlMs)}-minute life`,
  `its ${DEFAULT_SEED_BOARD_CONFIG.replicas} nearest leaves`,
  `at most ${DEFAULT_SEED_BOARD_CONFIG.maxRecords} records per node (one per uid), ${kib(SEED_LIMITS.encodedBytes)} per record`,
  `reads the board ${s(SEED_LOOKUP_DELAYS_MS[0])}, ${s(SEED_LOOKUP_DELAYS_MS[1])} and ${s(SEED_LOOKUP_DELAYS_MS[2])} after joining and then every ${min(SEED_LOOKUP_DELAYS_MS[3])} minutes`,
  `keeps the ${MAX_LEARNED_SEEDS} most recently seen URLs`,
  `The learned list is ${MAX_LEARNED_SEEDS} URLs`,
  `SDP at most ${kib(MAX_SIGNAL_CHARS)}); at most ${BROADCAST_LIMITS.maxPending} introductions in progress, a \`ready\` no offer follows is forgotten after ${s(BROADCAST_LIMITS.offerTimeoutMs)}; the joiner gives up after ${BROADCAST_LIMITS.readyTimeoutMs} ms without a \`ready\`, ${s(BROADCAST_LIMITS.answerTimeoutMs)} without an answer`,
  `(and stay closed for ${APP_CONFIG.lostGraceMs} ms)`,
  `backoff from ${s(APP_CONFIG.retryMs)} doubling to at most ${s(APP_CONFIG.retryMaxMs)}`,
  `Of that, ${APP_CONFIG.lostGraceMs} ms is the lost grace`,
  // The simulator
  `(exponential, mean \`--gc-interval-min\`, ${SIM.gcIntervalMin} min), and refused at \`--pc-limit\` (${SIM.peerConnectionLimit}); a silent crash is reported to its peers after \`--consent-timeout-ms\` (${s(SIM.consentTimeoutMs)}`,
];

const DEPLOY_QUOTES: string[] = [
  `with a ping every ${s(HEARTBEAT_MS)}`,
  `a secret under ${ICE_DEPLOYMENT_LIMITS.minSecretChars} characters or a TTL outside ${s(ICE_DEPLOYMENT_LIMITS.minTtlS * 1000)} to ${ICE_DEPLOYMENT_LIMITS.maxTtlS / 86_400} days`,
  `lifetime of issued credentials (default ${ICE_DEPLOYMENT_LIMITS.defaultTtlS})`,
  `(${s(ICE_LIMITS.fetchTimeoutMs)} deadline, ${kib(ICE_LIMITS.maxResponseBytes)} cap, validated)`,
  `refreshes it when ${quarter(ICE_LIMITS.refreshAtFraction)} of its lifetime have passed (retrying every ${ICE_LIMITS.retryMs === 60_000 ? 'minute' : s(ICE_LIMITS.retryMs)}`,
  `after ${s(DEFAULT_ICE_DISCONNECTED_GRACE_MS)} of \`disconnected\``,
];

describe('config values quoted in docs', () => {
  it.each(ARCHITECTURE_QUOTES)('docs/ARCHITECTURE.md says "%s"', (quote) => {
    expect(architecture.includes(quote), 'not in docs/ARCHITECTURE.md (white space folded)').toBe(true);
  });
  it.each(DEPLOY_QUOTES)('docs/DEPLOY.md says "%s"', (quote) => {
    expect(deploy.includes(quote), 'not in docs/DEPLOY.md (white space folded)').toBe(true);
  });
});
