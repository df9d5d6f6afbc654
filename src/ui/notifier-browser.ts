// The Notifier's browser: this page's document, window.Notification, navigator's app badge, and a
// short two-note tone made with Web Audio (no sound file to fetch or cache).

import type { NotificationApi, NotifierEnvironment } from './notifier.js';

let audio: AudioContext | undefined;

/** About a quarter of a second, quiet; silently nothing where audio is not allowed yet. */
function playTone(): void {
  try {
    audio ??= new AudioContext();
    const start = audio.currentTime;
    const gain = audio.createGain();
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.12, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.28);
    gain.connect(audio.destination);
    [660, 880].forEach((frequency, i) => {
      const tone = audio!.createOscillator();
      tone.frequency.value = frequency;
      tone.connect(gain);
      tone.start(start + i * 0.1);
      tone.stop(start + 0.1 + i * 0.1 + 0.1);
    });
  } catch {
    // Autoplay policy or no audio device: the notification itself still shows.
  }
}

export function browserNotifierEnvironment(): NotifierEnvironment {
  return {
    document,
    Notification: typeof Notification === 'function' ? (Notification as unknown as NotificationApi) : undefined,
    navigator: navigator as NotifierEnvironment['navigator'],
    clock: { now: () => Date.now() },
    focusWindow: () => window.focus(),
    playTone,
  };
}
