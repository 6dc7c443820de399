import type { CspDirectives } from '@bridge/shared';

/**
 * What bull-board's UI (a built React app) needs, and nothing more: its scripts, styles, images
 * and API calls come from this origin; its page links the IBM Plex fonts from Google Fonts; its
 * loading placeholder and React set inline styles. No inline or eval'd script runs (its inline
 * <script type="application/json"> is data, which CSP does not govern). The agent console is held
 * to the same policy. No upgrade-insecure-requests: the dashboard is often reached over a plain
 * HTTP tunnel, where upgrading its own requests would break it.
 */
export const DASHBOARD_CSP: CspDirectives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'", 'https://fonts.googleapis.com'],
  'font-src': ["'self'", 'https://fonts.gstatic.com'],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};
