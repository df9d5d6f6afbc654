import { LitElement, css, html, svg } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { clockwiseDistance, type NodeId } from '../../overlay/id.js';
import type { OverlaySnapshot, PeerConnectionFigures, RoutedPath } from '../messenger-port.js';
import { formatTime, shortId } from '../format.js';
import { hopPath, pointOnRing, type Point } from '../ring-geometry.js';
import { theme } from '../theme.js';

const SIZE = 400;
const CENTRE: Point = { x: SIZE / 2, y: SIZE / 2 };
const RADIUS = 160;
const PATH_COLOURS = ['#ffc84a', '#ff8fc7', '#7cf0d0', '#c9a7ff'];

/**
 * The 128-bit id space as a ring: this node, its leaf set, its routing-table links and the
 * hop-by-hop paths of recent messages. Redrawn from whatever snapshot it is given.
 */
@customElement('dima-overlay-view')
export class OverlayView extends LitElement {
  static override styles = [
    theme,
    css`
      :host { display: block; padding: 1em; overflow-y: auto; }
      .layout { display: flex; flex-wrap: wrap; gap: 1.2em; align-items: flex-start; }
      svg { width: min(100%, 30em); height: auto; flex: none; }
      .ring { fill: none; stroke: var(--border); stroke-width: 2; }
      .tick { fill: var(--muted); font-size: 11px; text-anchor: middle; dominant-baseline: middle; }
      .link { stroke: var(--accent); stroke-opacity: 0.25; stroke-width: 1; }
      .routing { fill: var(--accent); }
      .leaf { fill: var(--online); }
      .leaf-rank { fill: var(--online); fill-opacity: 0.7; }
      .self { fill: var(--self); stroke: var(--bg); stroke-width: 2; }
      .hop { fill: none; stroke-width: 2.5; stroke-linecap: round; }
      .hop-node { stroke: var(--bg); stroke-width: 1; }
      dl { margin: 0; display: grid; grid-template-columns: auto 1fr; gap: 0.2em 0.8em; }
      dt { color: var(--muted); }
      dd { margin: 0; font-family: ui-monospace, monospace; }
      .legend span::before { content: ''; display: inline-block; width: 0.7em; height: 0.7em; border-radius: 50%; margin-right: 0.4em; background: var(--c); }
      .legend { display: flex; flex-wrap: wrap; gap: 0.4em 1em; font-size: 0.9rem; margin: 0.8em 0; }
      ol { padding-left: 1.2em; }
    `,
  ];

  @property({ attribute: false }) snapshot: OverlaySnapshot | undefined;

  override render() {
    const s = this.snapshot;
    if (!s) return html`<p class="muted">Not in the overlay yet: the picture appears once this node has joined.</p>`;
    const at = (id: NodeId) => pointOnRing(id, CENTRE, RADIUS);
    const self = at(s.selfId);
    const label = `Overlay ring: this node ${shortId(s.selfId)}, ${s.leafSet.length} leaves, ${s.routingTable.length} routing-table links, ${s.recentPaths.length} recent paths`;
    return html`<h2>Overlay</h2>
      <div class="layout">
        <svg viewBox="0 0 ${SIZE} ${SIZE}" role="img" aria-label=${label}>
          <title>${label}</title>
          <circle class="ring" cx=${CENTRE.x} cy=${CENTRE.y} r=${RADIUS}></circle>
          ${['0', '4', '8', 'c'].map((digit) => {
            const p = pointOnRing((digit + '0'.repeat(31)) as NodeId, CENTRE, RADIUS + 20);
            return svg`<text class="tick" x=${p.x} y=${p.y}>${digit}…</text>`;
          })}
          ${s.routingTable.map(({ id }) => {
            const p = at(id);
            return svg`<line class="link" x1=${self.x} y1=${self.y} x2=${p.x} y2=${p.y}></line>
              <circle class="routing" data-id=${id} cx=${p.x} cy=${p.y} r="4"><title>routing table ${shortId(id)}</title></circle>`;
          })}
          ${s.leafSet.map((id) => {
            const p = at(id);
            return svg`<circle class="leaf" data-id=${id} cx=${p.x} cy=${p.y} r="4.5"><title>leaf ${shortId(id)}</title></circle>`;
          })}
          ${this.renderLeafFan(s, self)}
          ${s.recentPaths.map((path, i) => this.renderPath(path, i))}
          <circle class="self" cx=${self.x} cy=${self.y} r="8"><title>this node ${shortId(s.selfId)}</title></circle>
        </svg>
        <div>
          <dl>
            <dt>This node</dt><dd>${shortId(s.selfId, 12)}…</dd>
            <dt>Leaf set</dt><dd>${s.leafSet.length}</dd>
            <dt>Routing table</dt><dd>${s.routingTable.length} links in ${new Set(s.routingTable.map((e) => e.row)).size} rows</dd>
            ${s.peerConnections ? html`<dt>Peer connections</dt><dd class="peer-connections">${peerConnectionsText(s.peerConnections)}</dd>` : ''}
          </dl>
          <div class="legend" aria-hidden="true">
            <span style="--c: var(--self)">this node</span>
            <span style="--c: var(--online)">leaf set (on the ring, and fanned out inside by rank)</span>
            <span style="--c: var(--accent)">routing table</span>
          </div>
          ${s.recentPaths.length ? html`<h2>Recent paths</h2>
            <ol class="paths">
              ${s.recentPaths.map(
                (p, i) => html`<li style="color: ${PATH_COLOURS[i % PATH_COLOURS.length]}">
                  <span style="color: var(--text)">${p.kind} to ${shortId(p.key)}: ${p.hops.length - 1} ${p.hops.length === 2 ? 'hop' : 'hops'}, ${formatTime(p.at)}</span>
                </li>`,
              )}
            </ol>` : ''}
        </div>
      </div>`;
  }

  /**
   * In a large overlay the leaf set spans a sliver of the ring and its dots sit on top of each
   * other, so it is also fanned out inside the ring by rank (smaller ids to the left, not to scale).
   */
  private renderLeafFan(s: OverlaySnapshot, self: Point) {
    const angleOfSelf = Math.atan2(self.x - CENTRE.x, CENTRE.y - self.y);
    const fanRadius = RADIUS - 34;
    const spread = (Math.PI / 2.5) / Math.max(1, s.leafSet.length / 2);
    const sides = { left: 0, right: 0 };
    return s.leafSet.map((id) => {
      const right = clockwiseDistance(s.selfId, id) < clockwiseDistance(id, s.selfId);
      const rank = right ? ++sides.right : ++sides.left;
      const angle = angleOfSelf + (right ? rank : -rank) * spread;
      const p = { x: CENTRE.x + fanRadius * Math.sin(angle), y: CENTRE.y - fanRadius * Math.cos(angle) };
      return svg`<circle class="leaf-rank" cx=${p.x} cy=${p.y} r="3.5"><title>leaf ${shortId(id)} (${right ? 'right' : 'left'} #${rank})</title></circle>`;
    });
  }

  private renderPath(path: RoutedPath, index: number) {
    const colour = PATH_COLOURS[index % PATH_COLOURS.length];
    const points = path.hops.map((id) => pointOnRing(id, CENTRE, RADIUS));
    const opacity = Math.max(0.35, 1 - index * 0.2);
    return svg`<g class="path" data-kind=${path.kind} opacity=${opacity}>
      <path class="hop" stroke=${colour} d=${hopPath(points, CENTRE)}></path>
      ${points.slice(1).map((p) => svg`<circle class="hop-node" fill=${colour} cx=${p.x} cy=${p.y} r="3.5"></circle>`)}
    </g>`;
  }
}

/** Held counts closed connections not yet garbage collected: the browser refuses new ones at its limit. */
function peerConnectionsText({ constructed, held, limit }: PeerConnectionFigures): string {
  return `constructed ${constructed}, held ${held}${Number.isFinite(limit) ? ` of ${limit}` : ''}`;
}
