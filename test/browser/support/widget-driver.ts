import type { Locator, Page } from 'playwright-core';

/** The demo page's suggested opening: four slots in one message. */
export const QUALIFYING =
  "Hi, I'm the VP of Sales at Acme, we have a budget of around 50k and need a lead-scoring tool by next quarter";

/** A desktop visitor's browser context: the size and language most widget tests use. */
export const DESKTOP_VISITOR = { viewport: { width: 1280, height: 800 }, locale: 'en-US' };

/**
 * Drives the widget the way a visitor does, through accessible names and roles (Playwright's
 * locators pierce the open shadow root), so a test that passes also proves the labels exist.
 */
export interface WidgetDriver {
  host: Locator;
  launcher: Locator;
  panel: Locator;
  input: Locator;
  alert: Locator;
  /** Bot and agent bubbles, in order. */
  replies: Locator;
  visitorBubbles: Locator;
  open(): Promise<void>;
  /** Waits for the bot to have spoken `count` times (greeting included). */
  waitForReplies(count: number): Promise<void>;
  /** Types and sends a message with Enter, then waits for the turn to finish. */
  say(text: string): Promise<void>;
  /** Waits until no turn is in flight and nothing is streaming. */
  settled(): Promise<void>;
  /** Text of the shadow root's focused element's id or class, for focus assertions. */
  focused(): Promise<string>;
  replyTexts(): Promise<string[]>;
}

export function widgetDriver(page: Page, timeout = 15_000): WidgetDriver {
  const host = page.locator('leadloop-chat');
  const panel = page.getByRole('dialog');
  const replies = host.locator('.msg.bot:not([aria-hidden]), .msg.agent');
  const driver: WidgetDriver = {
    host,
    launcher: page.getByRole('button', { name: /^Chat\b/ }),
    panel,
    input: page.getByRole('textbox', { name: 'Your message' }),
    alert: host.getByRole('alert'),
    replies,
    visitorBubbles: host.locator('.msg.visitor'),
    async open() {
      await driver.launcher.click();
      await panel.waitFor({ state: 'visible', timeout });
    },
    async waitForReplies(count) {
      await page.waitForFunction(
        (n) => {
          const root = document.querySelector('leadloop-chat')?.shadowRoot;
          return (root?.querySelectorAll('.msg.bot:not([aria-hidden]), .msg.agent').length ?? 0) >= n;
        },
        count,
        { timeout },
      );
    },
    async settled() {
      await page.waitForFunction(
        () => {
          const root = document.querySelector('leadloop-chat')?.shadowRoot;
          const log = root?.querySelector('.log');
          return (
            log?.getAttribute('aria-busy') === 'false' && root?.querySelector('.msg[aria-hidden]') === null
          );
        },
        undefined,
        { timeout },
      );
    },
    async say(text) {
      const before = await replies.count();
      await driver.input.fill(text);
      await driver.input.press('Enter');
      await driver.waitForReplies(before + 1);
      await driver.settled();
    },
    async focused() {
      return page.evaluate(() => {
        const active = document.querySelector('leadloop-chat')?.shadowRoot?.activeElement;
        return active ? active.id || active.className : '';
      });
    },
    async replyTexts() {
      return replies.allInnerTexts();
    },
  };
  return driver;
}

/** Goes to `url` (a page with the widget), opens the chat and waits for its greeting and first question. */
export async function openChat(page: Page, url: string): Promise<WidgetDriver> {
  const widget = widgetDriver(page);
  await page.goto(url);
  await widget.open();
  await widget.waitForReplies(2);
  return widget;
}
