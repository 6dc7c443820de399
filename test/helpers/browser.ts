/// <reference lib="dom" />
// (code passed to page.evaluate and addInitScript runs in the browser)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's chromium (apt-get install chromium); CHROMIUM_PATH points elsewhere. */
export const chromiumPath = () => process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, no sandbox (root in CI), and nothing that reaches out on its own (updates, sync, QUIC). */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** What went wrong in the pages of a browser, for a test to assert there was nothing. */
export interface PageProblems {
  /** `directive blocked-URI` of every Content-Security-Policy violation */
  cspViolations: string[];
  consoleErrors: string[];
  pageErrors: string[];
}

export interface TestBrowser {
  context: BrowserContext;
  /** the window the browser opened with */
  page: Page;
  problems: PageProblems;
  close: () => Promise<void>;
}

/**
 * Chromium with a fresh profile in a temp dir (removed by close()), collecting CSP violations,
 * console errors and uncaught page errors from every page it opens.
 */
export async function launchBrowser(options: { httpCredentials?: { username: string; password: string } } = {}): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'bridge-chromium-'));
  const problems: PageProblems = { cspViolations: [], consoleErrors: [], pageErrors: [] };
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath(),
      headless: true,
      args: CHROMIUM_FLAGS,
      httpCredentials: options.httpCredentials,
    });
  } catch (err) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw err;
  }
  // bindings and init scripts are injected by the browser itself, so the page's CSP does not stop them
  await context.exposeBinding('__reportCspViolation', (_source, violation: string) => { problems.cspViolations.push(violation); });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __reportCspViolation: (v: string) => void }).__reportCspViolation(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  const watch = (page: Page) => {
    page.on('console', (message) => { if (message.type() === 'error') problems.consoleErrors.push(message.text()); });
    page.on('pageerror', (error) => { problems.pageErrors.push(error.message); });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
