// Colours and the few shared rules every component adopts. Text colours keep WCAG AA contrast
// (>= 4.5:1) on both surfaces; focus is always visible for keyboard users.

import { css } from 'lit';

export const theme = css`
  /* Dark (the default) and light follow the system (prefers-color-scheme). Every text colour is
     >= 4.5:1 on --bg, --surface, --surface-raised and --bubble-out in both (tests/e2e/a11y.spec.ts). */
  :host {
    color-scheme: dark;
    --bg: #121a2b;
    --surface: #1b2540;
    --surface-raised: #26325a;
    --border: #34426b;
    --text: #e8eefc;
    --muted: #b3bfdc;
    --accent: #7ca8ff;
    --accent-text: #0b1220;
    --self: #ffc84a;
    /** Text on a --self background (a pressed view button, a badge). */
    --on-self: #0b1220;
    --online: #4ade80;
    --offline: #8b95ad;
    --danger: #ff9a9a;
    --warning-border: #ffc84a;
    /** Our own chat bubbles. */
    --bubble-out: #213760;
    --radius: 10px;
    color: var(--text);
    font: 15px/1.4 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
    box-sizing: border-box;
  }
  @media (prefers-color-scheme: light) {
    :host {
      color-scheme: light;
      --bg: #f4f6fb;
      --surface: #ffffff;
      --surface-raised: #e9eef8;
      --border: #9aa6bf;
      --text: #141b2d;
      --muted: #4a5468;
      --accent: #1d4ed8;
      --accent-text: #ffffff;
      --self: #8a5300;
      --on-self: #ffffff;
      --online: #15803d;
      --offline: #6b7280;
      --danger: #b3261e;
      --warning-border: #b45309;
      --bubble-out: #dbe6ff;
    }
  }
  *, *::before, *::after { box-sizing: inherit; }
  :focus-visible { outline: 2px solid var(--self); outline-offset: 2px; }
  button {
    font: inherit;
    color: var(--accent-text);
    background: var(--accent);
    border: 0;
    border-radius: 8px;
    padding: 0.45em 0.9em;
    cursor: pointer;
  }
  button.quiet { background: transparent; color: var(--text); border: 1px solid var(--border); }
  button.danger { background: var(--danger); }
  button:disabled { opacity: 0.55; cursor: default; }
  input, textarea {
    font: inherit;
    color: var(--text);
    background: var(--bg);
    border: 1px solid var(--border);
    border-radius: 8px;
    padding: 0.5em 0.7em;
    width: 100%;
  }
  h2 { font-size: 1.05rem; margin: 0 0 0.6em; }
  .muted { color: var(--muted); }
  .visually-hidden {
    position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap;
  }
  ul.plain { list-style: none; margin: 0; padding: 0; }
`;

/**
 * A phone's one-row header (<= 560 px): each `.long` label gives way to its `.short` twin (the long
 * one stays the accessible name where it matters). Shared by the shell and its connection status.
 */
export const phoneLabels = css`
  .short { display: none; }
  @media (max-width: 560px) {
    .long { display: none; }
    .short { display: inline; }
  }
`;
