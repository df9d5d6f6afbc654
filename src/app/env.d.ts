/// <reference types="vite/client" />

// Build-time switches (Vite replaces them with literals).
interface ImportMetaEnv {
  /** '1' in builds for tests and benches: installs window.__dima (src/app/test-handle.ts). */
  readonly VITE_DIMA_TEST_HANDLE?: string;
}
