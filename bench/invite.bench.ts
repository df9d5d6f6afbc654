// Serverless invite codes (issue 13): how long the invite and the reply are, as text and as a QR code.
//
//   npm run bench -- --only invite [--invite-samples 10]
//
// Real offers and answers come from @roamhq/wrtc (libwebrtc, what Chromium runs), one fresh pair of
// transports per sample; they carry this machine's interfaces (here: one IPv4, one IPv6 and the
// loopback ones, which the codec drops when others exist). Two made-up cases beside them: a browser
// that hides its address behind one mDNS name (Chromium's default), and a device with six addresses
// (the most a code carries). QR version at error correction M, as the dialog draws it.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from 'uqr';
import { encodeInvite, encodeReply } from '../src/app/invite/codec.js';
import { INVITE_LIMITS } from '../src/app/invite/config.js';
import { essentialsOf, type SdpEssentials } from '../src/app/invite/sdp-essentials.js';
import { startTestNode, stopAllTestNodes } from '../tests/integration/webrtc-testkit.js';
import { stampLabel, type BenchModule } from './bench-module.js';

interface CodeFigures {
  /** The SDP as the browser wrote it (characters = bytes, it is ASCII). */
  sdpChars: number;
  /** The code as text (ASCII: characters = bytes). */
  codeChars: number;
  qrVersion: number;
  /** QR modules per side (the picture's resolution). */
  qrModules: number;
  candidates: number;
}

interface Row {
  case: string;
  samples: number;
  invite: CodeFigures;
  reply: CodeFigures;
}

export const bench: BenchModule = {
  name: 'invite',
  async run(context) {
    const samples = Number(context.args.get('invite-samples') ?? 10);
    const rows = [await realPairs(samples), synthetic('browser, one mDNS name (Chromium default)', mdnsOnly), synthetic('six addresses (the most a code carries)', sixAddresses)];
    const results = { commit: context.stamp.commit, dirty: context.stamp.dirty, date: context.date, validityMinutes: INVITE_LIMITS.validityMs / 60_000, rows };
    writeFileSync(join(context.resultsDir, 'invite.json'), JSON.stringify(results, null, 2) + '\n');
    return markdown(rows, stampLabel(context.stamp));
  },
};

function figures(sdp: string, code: string, essentials: SdpEssentials): CodeFigures {
  const qr = encode(code, { ecc: 'M' });
  return { sdpChars: sdp.length, codeChars: code.length, qrVersion: qr.version, qrModules: qr.size - 2, candidates: essentials.candidates.length };
}

function essentials(sdp: string): SdpEssentials {
  const result = essentialsOf(sdp);
  if (!result.ok) throw new Error(result.reason);
  return result.essentials;
}

const EXPIRES = Date.UTC(2026, 11, 2, 12, 0, 0);

async function realPairs(samples: number): Promise<Row> {
  const invites: CodeFigures[] = [];
  const replies: CodeFigures[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const alice = startTestNode();
      const bob = startTestNode();
      await alice.transport.dial(null, async (offer) => {
        const answer = await bob.transport.answer(null, offer);
        const invite = encodeInvite(essentials(offer.data), EXPIRES);
        invites.push(figures(offer.data, invite.code, essentials(offer.data)));
        replies.push(figures(answer.data, encodeReply(essentials(answer.data), invite.tag), essentials(answer.data)));
        return answer;
      });
      stopAllTestNodes();
    }
  } finally {
    stopAllTestNodes();
  }
  return { case: 'Node peer over @roamhq/wrtc (real SDPs)', samples, invite: worst(invites), reply: worst(replies) };
}

/** The longest of the samples (codes differ by a character or two with the random ufrag/pwd bytes). */
function worst(list: CodeFigures[]): CodeFigures {
  return list.reduce((a, b) => (b.codeChars > a.codeChars ? b : a));
}

const BASE: Omit<SdpEssentials, 'candidates' | 'setup'> = {
  ufrag: 'k3Xe',
  pwd: 'Qm9bR2x0ZWxvcGVyc0dyZWF0',
  fingerprints: [{ algorithm: 'sha-256', digest: Array.from({ length: 32 }, (_, i) => ((i * 37) & 0xff).toString(16).padStart(2, '0').toUpperCase()).join(':') }],
  mid: '0',
  sctpPort: 5000,
  maxMessageSize: 262144,
};
const mdnsOnly: SdpEssentials['candidates'] = [{ type: 'host', address: '0c6f3a7e-5b2d-4e91-a8c4-7d19f2b6e053.local', port: 54231 }];
const sixAddresses: SdpEssentials['candidates'] = [
  { type: 'host', address: '192.168.1.23', port: 54231 },
  { type: 'host', address: '10.8.0.5', port: 54232 },
  { type: 'host', address: '2001:db8:85a3::8a2e:370:7334', port: 54233 },
  { type: 'host', address: 'fd00::2', port: 54234 },
  { type: 'srflx', address: '203.0.113.7', port: 61000 },
  { type: 'host', address: '0c6f3a7e-5b2d-4e91-a8c4-7d19f2b6e053.local', port: 54235 },
];

function synthetic(name: string, candidates: SdpEssentials['candidates']): Row {
  const offer: SdpEssentials = { ...BASE, setup: 'actpass', candidates };
  const answer: SdpEssentials = { ...BASE, setup: 'active', candidates };
  const invite = encodeInvite(offer, EXPIRES);
  return { case: name, samples: 1, invite: figures('', invite.code, offer), reply: figures('', encodeReply(answer, invite.tag), answer) };
}

function markdown(rows: Row[], stamp: string): string {
  const cell = (f: CodeFigures) => `${f.codeChars} B · QR v${f.qrVersion} (${f.qrModules}×${f.qrModules})`;
  return [
    '## Serverless invite codes',
    '',
    `Code ${stamp}. \`npm run bench -- --only invite\`. Invite and reply as text (ASCII, so characters = bytes) and as`,
    `a QR code at error correction M (alphanumeric mode); a code is valid for ${INVITE_LIMITS.validityMs / 60_000} minutes. The real`,
    'SDPs are the longest of the samples; the other rows are made up to show the range.',
    '',
    '| case | candidates | SDP as written | invite | reply |',
    '| --- | --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.case} | ${r.invite.candidates} | ${r.invite.sdpChars ? `${r.invite.sdpChars} / ${r.reply.sdpChars} B` : '–'} | ${cell(r.invite)} | ${cell(r.reply)} |`),
    '',
  ].join('\n');
}
