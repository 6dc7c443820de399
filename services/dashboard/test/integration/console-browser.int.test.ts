/// <reference lib="dom" />
// (code passed to page.evaluate runs in the browser)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import type { Locator } from 'playwright-core';
import { ALL_QUEUES, DEFAULT_HANDOFF_TEXT, conversationIdFor, createHttpServer, listen } from '@bridge/shared';
import { ADMIN, AGENT, makeConsoleDashboard } from '../helpers/dashboard-app';
import { launchBrowser, type TestBrowser } from '../../../../test/helpers/browser';
import { startPipeline, type Pipeline } from '../../../../test/helpers/pipeline';
import { echoAi, replyText } from '../../../../test/helpers/stand-in-server';
import { testRedisUrl } from '../../../../test/helpers/test-env';

const FILE = `
routes:
  - name: human
    match: { keywords: [AGENT] }
    action: handoff
`;
const MARIA = { user_id: 'user-1', braze_id: 'braze-1', profile_name: 'Maria González' };
const conversationId = conversationIdFor({ external_user_id: MARIA.user_id });
const PHONE = { width: 390, height: 844 };

describe('the agent console in a real browser (Chromium) on the whole pipeline', () => {
  let dir: string;
  let conversationFile: string;
  let p: Pipeline;
  let redis: Redis;
  let subscriber: Redis;
  let queues: Queue[];
  let dashboard: Awaited<ReturnType<typeof makeConsoleDashboard>>;
  let server: http.Server;
  let url: string;
  let browser: TestBrowser;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'bridge-console-'));
    conversationFile = path.join(dir, 'conversation.yaml');
    writeFileSync(conversationFile, FILE);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await browser?.close();
    await dashboard.close();
    await new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); });
    await Promise.all(queues.map((q) => q.close()));
    redis.disconnect();
    subscriber.disconnect();
    await p.stop();
  });

  /** ingest + worker + stand-in AI and Braze, and the dashboard on the same Redis and prefix; a browser signed in as `user` */
  async function start(env: Record<string, string> = {}, user = AGENT) {
    p = await startPipeline({ CONVERSATION_FILE: conversationFile, ...env }, { ingestEnv: { CONVERSATION_FILE: conversationFile } });
    redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    subscriber = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
    queues = ALL_QUEUES.map((name) => new Queue(name, { connection: redis, prefix: p.prefix }));
    dashboard = await makeConsoleDashboard(queues, redis, subscriber, p.prefix);
    server = createHttpServer(dashboard.app);
    await listen(server, 0, '127.0.0.1');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await launchBrowser({ httpCredentials: { username: user.name, password: user.password } });
  }
  const page = () => browser.page;
  /** the console, once its live stream is open */
  async function openConsole() {
    const response = await page().goto(`${url}/agent`);
    await page().locator('#live-status[data-state="live"]').waitFor();
    return response;
  }
  const brazeTexts = () => p.braze.requests.filter((r) => r.path === '/campaigns/trigger/send').map((r) => replyText(r.body));
  const waitForBraze = (text: string) => p.braze.waitUntil(() => brazeTexts().includes(text));
  const transcript = () => page().locator('#transcript');
  const entry = (tone: string, text: string) => transcript().locator(`.entry[data-tone="${tone}"]`).filter({ hasText: text });
  const row = () => page().getByRole('link', { name: /Maria González/ });
  const replyBox = () => page().getByRole('textbox', { name: 'Reply to Maria González' });
  const noHorizontalScroll = () => page().evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
  const inViewport = async (locator: Locator) => {
    const box = await locator.boundingBox();
    const size = page().viewportSize()!;
    return box !== null && box.x >= 0 && box.y >= 0 && box.x + box.width <= size.width && box.y + box.height <= size.height;
  };

  test('when a customer asks for a person, then an agent sees it arrive live, answers, and returns the conversation to the bot', async () => {
    // Arrange: the bot has answered once; the console is open, nobody is waiting
    await start();
    await p.replied({ ...MARIA, message: 'hi, my parcel is late' });
    const response = await openConsole();
    await page().getByText('Nobody is waiting').waitFor();
    await page().evaluate(() => { (window as unknown as { sameDocument: boolean }).sameDocument = true; });

    // Act: the handoff arrives while the page is open
    await p.replied({ ...MARIA, message: 'AGENT' });
    await row().waitFor();
    await row().click();
    await entry('bot', 'echo: hi, my parcel is late').waitFor();
    await replyBox().fill('Hi Maria, I am checking your parcel now.');
    await replyBox().press('Enter');
    await waitForBraze('Hi Maria, I am checking your parcel now.');
    await entry('agent', 'Hi Maria, I am checking your parcel now.').waitFor();
    await page().getByRole('button', { name: 'Return to bot' }).click();
    await page().getByRole('button', { name: 'Take over' }).waitFor();
    await page().getByText('Nobody is waiting').waitFor();
    const state = await browser.context.request.get(`${url}/agent/api/conversations/${conversationId}/messages`);
    await p.replied({ ...MARIA, message: 'thanks!' });

    // Assert: the reply reached Braze once, under the agent's trigger text, and the bot answers again
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(brazeTexts()).toEqual(['echo: hi, my parcel is late', DEFAULT_HANDOFF_TEXT, 'Hi Maria, I am checking your parcel now.', 'echo: thanks!']);
    expect((await state.json()).owner).toBe('bot');
    await expect(entry('agent', 'Hi Maria').locator('.entry-label').textContent()).resolves.toContain(AGENT.name);
    await transcript().getByText('Returned to the bot').waitFor();
    expect(await page().evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    // the page shows customer, bot and agent apart, and the handoff as a note
    expect(await transcript().locator('.entry').evaluateAll((items) => items.map((li) => `${(li as HTMLElement).dataset.side}:${(li as HTMLElement).dataset.tone}`))).toEqual([
      'start:customer', 'end:bot', 'start:customer', 'center:note', 'end:bot', 'end:agent', 'center:note',
    ]);
    expect(browser.problems).toEqual({ cspViolations: [], consoleErrors: [], pageErrors: [] });
    // an agent account reaches nothing of bull-board
    expect((await browser.context.request.get(`${url}/api/queues`)).status()).toBe(403);
    expect((await browser.context.request.get(`${url}/`)).status()).toBe(403);
  });

  test('when the console is used on a phone-sized screen, then the list and the transcript each fill it, with no sideways scrolling, media as links', async () => {
    // Arrange: a long unbroken word, as pasted links and order numbers are
    await start({}, ADMIN);
    await page().setViewportSize(PHONE);
    await p.replied({ ...MARIA, message: `track: https://example.com/${'x'.repeat(300)}` });
    await p.replied({ ...MARIA, message: 'AGENT' });
    await p.finished('generate', await p.post({ ...MARIA, message: 'a photo of the label', media_urls: ['https://cdn.example.com/label.jpg', 'javascript:alert(1)'] }));
    await openConsole();

    // Act + Assert: the list first
    await row().waitFor();
    expect(await inViewport(row())).toBe(true);
    expect(await noHorizontalScroll()).toBe(true);
    await row().click();
    await entry('customer', 'track: https://example.com/').waitFor();
    expect(await row().isVisible()).toBe(false);
    expect(await inViewport(replyBox())).toBe(true);
    expect(await inViewport(page().getByRole('button', { name: 'Return to bot' }))).toBe(true);
    expect(await noHorizontalScroll()).toBe(true);
    // the customer's media as links, and only web ones
    expect(await entry('customer', 'a photo of the label').getByRole('link').evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href))).toEqual(['https://cdn.example.com/label.jpg']);
    await page().getByRole('link', { name: 'Conversations', exact: true }).click();
    await row().waitFor();
    expect(await replyBox().isVisible()).toBe(false);
    expect(browser.problems).toEqual({ cspViolations: [], consoleErrors: [], pageErrors: [] });
  });

  test('when an agent uses only the keyboard, then Tab reaches the conversation, Enter opens it, and Enter sends the typed reply', async () => {
    // Arrange
    await start();
    await p.replied({ ...MARIA, message: 'AGENT' });
    await openConsole();
    await row().waitFor();

    // Act: Tab until the conversation has the focus
    let presses = 0;
    while (!(await row().evaluate((a) => a === document.activeElement)) && presses < 10) {
      await page().keyboard.press('Tab');
      presses++;
    }
    const outline = await row().evaluate((a) => getComputedStyle(a).outlineStyle);
    await page().keyboard.press('Enter');
    await entry('customer', 'AGENT').waitFor();
    const focused = await page().evaluate(() => document.activeElement?.id);
    await page().keyboard.type('Typed without a mouse.');
    await page().keyboard.press('Enter');
    await waitForBraze('Typed without a mouse.');

    // Assert
    expect(presses).toBeLessThan(10);
    expect(outline).toBe('solid');
    expect(focused).toBe('reply');
    expect(await replyBox().inputValue()).toBe('');
    expect(browser.problems).toEqual({ cspViolations: [], consoleErrors: [], pageErrors: [] });
  });

  test('when a person takes over while the AI is answering, then its reply is a marked draft, and the suggested reply goes out only when the agent sends it', async () => {
    // Arrange: agent assist on; the AI's answer is held until the takeover (well within the AI timeout)
    await start({ AGENT_ASSIST: 'true', AI_TIMEOUT_MS: '20000' });
    await p.replied({ ...MARIA, message: 'hi' });
    await openConsole();
    let answer!: () => void;
    const held = new Promise<void>((resolve) => { answer = resolve; });
    p.ai.setScript(async (req, i) => { await held; return echoAi(req, i); });
    const inFlight = await p.post({ ...MARIA, message: 'where is my parcel?' });
    await p.ai.waitForRequests(2);

    // Act: take the user over by id, from the form
    await page().getByText('Take over a conversation').click();
    await page().getByRole('textbox', { name: 'User id' }).fill(MARIA.user_id);
    await page().getByRole('button', { name: 'Take over', exact: true }).click();
    await page().getByRole('heading', { name: 'Maria González' }).waitFor();
    answer();
    await p.finished('generate', inFlight);
    const draft = entry('draft', 'echo: where is my parcel?');
    await draft.waitFor();
    // the handoff text appears once Braze took it
    await entry('bot', DEFAULT_HANDOFF_TEXT).waitFor();
    const suggestion = transcript().locator('.suggestion').filter({ hasText: 'echo: where is my parcel?' });
    await suggestion.waitFor();
    const sentBeforeTheAgent = brazeTexts();
    await suggestion.getByRole('button', { name: 'Use suggestion' }).click();
    const inBox = await replyBox().inputValue();
    await replyBox().press('Enter');
    await waitForBraze('echo: where is my parcel?');

    // Assert
    expect(await draft.locator('.flag').textContent()).toBe('not sent: draft');
    expect(await draft.getByRole('button', { name: 'Use draft' }).isVisible()).toBe(true);
    expect(sentBeforeTheAgent).toEqual(['echo: hi', DEFAULT_HANDOFF_TEXT]);
    expect(inBox).toBe('echo: where is my parcel?');
    expect(brazeTexts()).toEqual(['echo: hi', DEFAULT_HANDOFF_TEXT, 'echo: where is my parcel?']);
    expect(browser.problems).toEqual({ cspViolations: [], consoleErrors: [], pageErrors: [] });
  });

  test('when an agent takes over a user who never wrote, then the conversation opens and the undeliverable notice shows live', async () => {
    // Arrange: the notice to the customer waits in its queue until the page has shown the takeover
    await start();
    await openConsole();
    await p.worker.sendQueue.pause();

    // Act
    await page().getByText('Take over a conversation').click();
    await page().getByRole('combobox', { name: 'Kind of id' }).selectOption('braze_id');
    await page().getByRole('textbox', { name: 'User id' }).fill('braze-never-wrote');
    await page().getByRole('textbox', { name: 'User id' }).press('Enter');
    await transcript().getByText('Handed to a person').waitFor();
    await p.worker.sendQueue.resume();
    const notice = transcript().locator('.entry[data-kind="delivery_failed"]');
    await notice.waitFor();

    // Assert: WhatsApp allows no message outside the 24 hours after the customer's last one
    expect(await notice.textContent()).toContain('OUTSIDE_WHATSAPP_WINDOW');
    expect(await page().getByRole('link', { name: /braze-never-wrote/ }).isVisible()).toBe(true);
    expect(brazeTexts()).toEqual([]);
    expect(browser.problems).toEqual({ cspViolations: [], consoleErrors: [], pageErrors: [] });
  });
});
