import { ApiError, type ChatApi, createChatApi, StreamError } from './api.ts';
import { pageContext, readConfig } from './context.ts';
import { h } from './dom.ts';
import { type Strings, stringsFor } from './i18n.ts';
import { createSessionMemory } from './storage.ts';
import type { ChatMessage, ChatState, ChatUpdate, WidgetConfig } from './types.ts';
import { buildView, messageNodes, type View } from './view.ts';

/** How often the widget asks for a human agent's messages: often during a takeover, rarely otherwise. */
const POLL_TAKEN_OVER_MS = 3000;
const POLL_IDLE_MS = 15000;

/**
 * `<leadloop-chat data-key="pk_..." data-api="https://HOST">`: the chat widget. The script
 * loader creates one from its own script tag; a page may also place it by hand. The element
 * stays thin: the DOM API has many names, so the widget's own live in a separate controller.
 */
export class LeadloopChat extends HTMLElement {
  private chat: ChatController | null = null;

  connectedCallback(): void {
    if (this.chat) {
      this.chat.resume();
      return;
    }
    const config = readConfig(this, location.href, location.href);
    if (!config) {
      console.warn('[leadloop] widget not started: data-key is missing');
      return;
    }
    this.chat = new ChatController(this, config);
  }

  disconnectedCallback(): void {
    this.chat?.pause();
  }
}

/** The conversation and its view: session start or restore, turns, streaming, polling, errors. */
class ChatController {
  private readonly host: HTMLElement;
  private readonly config: WidgetConfig;
  private readonly api: ChatApi;
  private readonly t: Strings;
  private readonly root: ShadowRoot;
  private readonly view: View;
  private readonly memory: ReturnType<typeof createSessionMemory>;
  private sessionId: string | null = null;
  private lastId: string | undefined;
  private state: ChatState = 'active';
  private seen = new Set<string>();
  private drafts = new Map<string, HTMLElement>();
  private loading: Promise<void> | null = null;
  private busy = false;
  private unread = 0;
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private countdown: ReturnType<typeof setInterval> | undefined;
  private retry: (() => void) | null = null;
  private agentName: string | undefined;
  /** The live stream of this conversation while one is open (see `follow`). */
  private follower: AbortController | null = null;
  private followFailures = 0;
  private followTimer: ReturnType<typeof setTimeout> | undefined;
  /** No reconnect before this time (backoff after a failed stream). */
  private followRetryAt = 0;
  /** The server has no live stream (an older Leadloop): polling alone, as before. */
  private streamUnsupported = false;

  constructor(host: HTMLElement, config: WidgetConfig) {
    this.host = host;
    this.config = config;
    this.t = stringsFor(config.locale ?? navigator.language);
    this.api = createChatApi({ origin: config.apiOrigin, widgetKey: config.widgetKey });
    this.memory = createSessionMemory(config.widgetKey);
    if (config.color) host.style.setProperty('--ll-accent', config.color);
    this.root = host.attachShadow({ mode: 'open' });
    this.view = buildView(this.root, config.title, this.t);
    this.wire();
    const saved = this.memory.load();
    this.sessionId = saved.sessionId ?? null;
    if (saved.open) this.open(false);
    document.addEventListener('visibilitychange', () => this.schedulePoll());
  }

  /** Stops timers while the element is out of the document. */
  pause(): void {
    clearTimeout(this.pollTimer);
    clearInterval(this.countdown);
    this.unfollow();
  }

  resume(): void {
    this.schedulePoll();
  }

  /** Opens the panel (starting or restoring the conversation) and moves focus into it. */
  open(focus = true): void {
    const { panel, launcher, input } = this.view;
    panel.hidden = false;
    panel.setAttribute('aria-modal', String(this.fullScreen()));
    this.host.setAttribute('open', '');
    launcher.setAttribute('aria-expanded', 'true');
    this.memory.save({ open: true });
    this.setUnread(0);
    this.scrollDown();
    if (focus) input.focus();
    void this.ensureSession();
    this.schedulePoll();
  }

  /** Closes the panel and gives focus back to the launcher. */
  close(): void {
    const { panel, launcher } = this.view;
    panel.hidden = true;
    this.host.removeAttribute('open');
    launcher.setAttribute('aria-expanded', 'false');
    this.memory.save({ open: false });
    launcher.focus();
    this.schedulePoll();
  }

  private wire(): void {
    const { launcher, close, panel, form, input, alertButton } = this.view;
    launcher.addEventListener('click', () => (panel.hidden ? this.open() : this.close()));
    close.addEventListener('click', () => this.close());
    panel.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        this.close();
      } else if (event.key === 'Tab' && this.fullScreen()) this.trapFocus(event);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
    input.addEventListener('input', () => {
      input.style.height = 'auto';
      input.style.height = `${Math.min(input.scrollHeight + 3, 120)}px`;
    });
    alertButton.addEventListener('click', () => this.retry?.());
  }

  /** On a phone the panel covers the page, so it acts as a modal dialog and keeps focus inside. */
  private fullScreen(): boolean {
    return matchMedia('(max-width: 480px)').matches;
  }

  private trapFocus(event: KeyboardEvent): void {
    const focusable = [
      ...this.view.panel.querySelectorAll<HTMLElement>(
        'button:not([disabled]), a[href], textarea, [tabindex="0"]',
      ),
    ].filter((element) => element.getClientRects().length > 0);
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = this.root.activeElement;
    if (!first || !last) return;
    if (event.shiftKey ? active === first : active === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  }

  private ensureSession(): Promise<void> {
    this.loading ??= (this.sessionId ? this.restore(this.sessionId) : this.start()).finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  private async start(): Promise<void> {
    const config = this.config;
    this.clearAlert();
    this.setTyping(true);
    try {
      const update = await this.api.start({
        ...(config.playbook ? { playbook: config.playbook } : {}),
        locale: config.locale ?? navigator.language,
        context: pageContext(
          location,
          document.referrer,
          (navigator as { globalPrivacyControl?: unknown }).globalPrivacyControl,
        ),
      });
      this.sessionId = update.sessionId;
      this.memory.save({ sessionId: update.sessionId });
      this.apply(update);
    } catch (error) {
      this.fail(error, () => void this.ensureSession());
    } finally {
      this.setTyping(false);
    }
  }

  /** A reload: fetch the whole conversation so far; a session the server no longer knows starts anew. */
  private async restore(sessionId: string): Promise<void> {
    this.clearAlert();
    try {
      this.apply(await this.api.poll(sessionId), true);
    } catch (error) {
      if (error instanceof ApiError && [401, 403, 404, 410].includes(error.status)) {
        this.forget();
        return this.start();
      }
      this.fail(error, () => void this.ensureSession());
    }
  }

  private forget(): void {
    this.streamUnsupported = false;
    this.sessionId = null;
    this.lastId = undefined;
    this.memory.save({ sessionId: undefined });
  }

  private submit(): void {
    const text = this.view.input.value.trim();
    if (!text || this.busy || !this.sessionId) return;
    this.view.input.value = '';
    this.view.input.style.height = '';
    void this.send(text);
  }

  private async send(text: string, bubble?: HTMLElement): Promise<void> {
    const sessionId = this.sessionId;
    if (!sessionId || this.busy) return;
    this.clearAlert();
    this.clearQuickReplies();
    let own = bubble;
    if (own) {
      own.classList.remove('failed');
      own.querySelector('.failed-note')?.remove();
    } else {
      own = messageNodes({ id: '', role: 'visitor', text, at: '' }, this.t, () => {})[0]!;
      this.addToLog(own);
    }
    this.setBusy(true);
    this.setTyping(true);
    try {
      await this.api.send(sessionId, text, {
        typing: () => this.setTyping(true),
        delta: (id, chunk) => this.draft(id, chunk),
        // The visitor's own message is already on screen; the server does not echo it, but be sure.
        message: (message) => (message.role === 'visitor' ? undefined : this.render(message)),
        done: (state) => this.setState(state),
      });
    } catch (error) {
      if (error instanceof StreamError) {
        this.fail(error, () => void this.recover());
        void this.recover();
      } else if (error instanceof ApiError && [400, 413, 422].includes(error.status)) {
        // Sending it again would fail again: give the text back for editing.
        own.remove();
        this.view.input.value = text;
        this.view.input.focus();
        this.fail(error, null);
      } else {
        own.classList.add('failed');
        own.append(h('span', { class: 'failed-note' }, ` ${this.t.notSent}`));
        if (error instanceof ApiError && error.status === 409 && (await this.endedOnServer())) return;
        // A session the server no longer knows: the retry starts a new one, then sends again.
        const gone = error instanceof ApiError && (error.status === 404 || error.status === 410);
        if (gone) this.forget();
        this.fail(error, () =>
          gone ? void this.ensureSession().then(() => this.send(text, own)) : void this.send(text, own),
        );
      }
    } finally {
      this.setTyping(false);
      this.setBusy(false);
      this.dropDrafts();
      this.schedulePoll();
    }
  }

  /**
   * A 409 on a message: if the conversation is over on the server, say so and offer a new one
   * (the old transcript goes; a reload would not show it either).
   */
  private async endedOnServer(): Promise<boolean> {
    const sessionId = this.sessionId;
    if (!sessionId) return false;
    const update = await this.api.poll(sessionId, this.lastId).catch(() => null);
    if (update?.state !== 'ended') return false;
    this.apply(update);
    this.fail(
      null,
      () => {
        this.forget();
        for (const node of [...this.view.log.children]) if (node !== this.view.typing) node.remove();
        this.seen.clear();
        this.state = 'active';
        void this.ensureSession();
        this.view.input.focus();
      },
      { text: this.t.ended, button: this.t.restart },
    );
    return true;
  }

  /** After a broken stream: the turn may have happened, so fetch what is new instead of resending. */
  private async recover(): Promise<void> {
    if (!this.sessionId) return;
    try {
      this.apply(await this.api.poll(this.sessionId, this.lastId));
      this.clearAlert();
    } catch (error) {
      this.fail(error, () => void this.recover());
    }
  }

  private apply(update: ChatUpdate, includeVisitor = false): void {
    // State first, so "a member of our team has joined" comes before what that person wrote.
    this.setState(update.state, update.agent?.name);
    for (const message of update.messages) {
      // The visitor's own messages are shown as they are sent; only a reload draws them from the server.
      if (message.role === 'visitor' && !includeVisitor) {
        this.lastId = message.id;
        continue;
      }
      this.render(message);
    }
  }

  private render(message: ChatMessage): void {
    if (this.seen.has(message.id)) return;
    this.seen.add(message.id);
    this.lastId = message.id;
    if (message.role !== 'visitor') this.clearQuickReplies();
    const nodes = messageNodes(message, this.t, (reply) => void this.send(reply));
    const draft = this.drafts.get(message.id);
    this.drafts.delete(message.id);
    // The finished message replaces its (hidden from screen readers) draft, so it is announced once, whole.
    if (draft) draft.replaceWith(...nodes);
    else this.addToLog(...nodes);
    if (message.role !== 'visitor' && this.view.panel.hidden) this.setUnread(this.unread + 1);
    this.scrollDown();
  }

  private draft(messageId: string, chunk: string): void {
    let bubble = this.drafts.get(messageId);
    if (this.seen.has(messageId)) return;
    if (!bubble) {
      bubble = h('div', { class: 'msg bot', 'aria-hidden': 'true' });
      this.drafts.set(messageId, bubble);
      this.addToLog(bubble);
    }
    bubble.append(chunk);
    this.setTyping(false);
    this.scrollDown();
  }

  private dropDrafts(): void {
    for (const draft of this.drafts.values()) draft.remove();
    this.drafts.clear();
  }

  private addToLog(...nodes: Node[]): void {
    for (const node of nodes) this.view.log.insertBefore(node, this.view.typing);
  }

  private setState(state: ChatState, agentName?: string): void {
    if (state !== this.state) {
      if (state === 'taken_over') this.note(agentName ? this.t.joinedBy(agentName) : this.t.joined);
      else if (this.state === 'taken_over') this.note(this.t.back);
    }
    this.state = state;
    this.agentName = state === 'taken_over' ? (agentName ?? this.agentName) : undefined;
    this.view.subtitle.textContent =
      state !== 'taken_over'
        ? this.t.subtitle
        : this.agentName
          ? this.t.subtitleWith(this.agentName)
          : this.t.subtitleHuman;
    this.schedulePoll();
  }

  /** Whether a live stream is worth keeping open: someone is looking, or a person is in the chat. */
  private wantsStream(): boolean {
    return (
      this.sessionId !== null &&
      !document.hidden &&
      this.host.isConnected &&
      (!this.view.panel.hidden || this.state === 'taken_over')
    );
  }

  /**
   * Keeps one live stream of the conversation open while it is wanted, so a person's reply shows at
   * once; reconnects when the server ends it, backs off when it fails (polling covers the gap).
   */
  private follow(): void {
    if (this.follower || this.streamUnsupported || !this.wantsStream()) return;
    if (Date.now() < this.followRetryAt) return;
    clearTimeout(this.followTimer);
    const controller = new AbortController();
    this.follower = controller;
    const sessionId = this.sessionId as string;
    void this.api
      .follow(
        sessionId,
        this.lastId,
        {
          message: (message) => {
            this.followFailures = 0;
            if (message.role === 'visitor') this.lastId = message.id;
            // A turn in flight brings the bot's replies itself, with their suggested replies.
            else if (!(this.busy && message.role === 'bot')) this.render(message);
          },
          state: (state, _outcome, agent) => this.setState(state, agent?.name),
        },
        controller.signal,
      )
      .then(
        () => false,
        (error: unknown) => {
          if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
            // Either the session is gone (polling will say so) or the server has no stream.
            this.streamUnsupported = true;
          }
          return true;
        },
      )
      .then((failed) => {
        if (this.follower !== controller) return;
        this.follower = null;
        if (controller.signal.aborted) return;
        this.followFailures = failed ? this.followFailures + 1 : 0;
        const wait = failed ? Math.min(30_000, 1000 * 2 ** this.followFailures) : 500;
        this.followRetryAt = Date.now() + wait;
        this.followTimer = setTimeout(() => this.follow(), wait);
        this.schedulePoll();
      });
  }

  private unfollow(): void {
    clearTimeout(this.followTimer);
    this.follower?.abort();
    this.follower = null;
  }

  private note(text: string): void {
    this.addToLog(h('p', { class: 'note' }, text));
    this.scrollDown();
  }

  private schedulePoll(delayMs?: number): void {
    clearTimeout(this.pollTimer);
    if (this.wantsStream()) this.follow();
    else this.unfollow();
    // While the stream is open it brings every message; polling is the fallback when it fails.
    if (this.follower && this.followFailures === 0 && !this.streamUnsupported) return;
    if (!this.sessionId || document.hidden || !this.host.isConnected) return;
    const every =
      this.state === 'taken_over' ? POLL_TAKEN_OVER_MS : this.view.panel.hidden ? undefined : POLL_IDLE_MS;
    if (every === undefined) return;
    this.pollTimer = setTimeout(() => void this.pollOnce(), delayMs ?? every);
  }

  private async pollOnce(): Promise<void> {
    if (!this.sessionId || this.busy || this.loading) return this.schedulePoll();
    try {
      this.apply(await this.api.poll(this.sessionId, this.lastId));
    } catch (error) {
      // Polling is best effort: wait as told on 429, otherwise try again at the usual pace.
      if (error instanceof ApiError && error.retryAfterMs !== undefined)
        return this.schedulePoll(Math.max(error.retryAfterMs, POLL_TAKEN_OVER_MS));
    }
    this.schedulePoll();
  }

  private clearQuickReplies(): void {
    const groups = this.view.log.querySelectorAll('.quick');
    const hadFocus = [...groups].some((group) => group.contains(this.root.activeElement));
    groups.forEach((group) => {
      group.remove();
    });
    if (hadFocus) this.view.input.focus();
  }

  private setTyping(on: boolean): void {
    this.view.typing.hidden = !on;
    this.view.log.setAttribute('aria-busy', String(on || this.busy));
    if (on) this.scrollDown();
  }

  private setBusy(on: boolean): void {
    this.busy = on;
    this.view.send.disabled = on;
    this.view.log.setAttribute('aria-busy', String(on || !this.view.typing.hidden));
  }

  private setUnread(count: number): void {
    this.unread = count;
    const { badge, launcher } = this.view;
    badge.hidden = count === 0;
    badge.textContent = String(count);
    launcher.setAttribute('aria-label', count ? this.t.launcherUnread(count) : this.t.launcher);
  }

  private scrollDown(): void {
    const { log } = this.view;
    log.scrollTop = log.scrollHeight;
  }

  private fail(error: unknown, retry: (() => void) | null, custom?: { text: string; button: string }): void {
    const t = this.t;
    let text = custom?.text ?? t.failed;
    const label = custom?.button ?? t.retry;
    let waitMs = 0;
    if (custom) {
      // The caller chose the words.
    } else if (error instanceof StreamError) text = t.dropped;
    else if (error instanceof ApiError) {
      if (error.status === 0) text = t.offline;
      else if (error.status === 429) {
        text = t.tooFast;
        waitMs = error.retryAfterMs ?? 5000;
      } else if (error.status === 401 || error.status === 403) text = t.unavailable;
      else if (error.status >= 400 && error.status < 500 && (error.errors[0]?.reason || error.detail))
        text = t.invalid(error.errors[0]?.reason ?? error.detail ?? '');
      else if (error.status === 503 && error.retryAfterMs !== undefined) waitMs = error.retryAfterMs;
    }
    const { alert, alertText, alertButton } = this.view;
    alertText.textContent = text;
    alert.hidden = false;
    this.scrollDown();
    alertButton.hidden = retry === null;
    this.retry =
      retry &&
      (() => {
        this.clearAlert();
        retry();
      });
    clearInterval(this.countdown);
    const until = Date.now() + waitMs;
    const tick = () => {
      const left = Math.ceil((until - Date.now()) / 1000);
      alertButton.disabled = left > 0;
      alertButton.textContent = left > 0 ? t.retryIn(left) : label;
      if (left <= 0) clearInterval(this.countdown);
    };
    tick();
    if (waitMs > 0) this.countdown = setInterval(tick, 250);
  }

  private clearAlert(): void {
    clearInterval(this.countdown);
    this.view.alert.hidden = true;
    this.retry = null;
  }
}
