/** The widget's stylesheet, scoped by its shadow root so the host page and the widget never clash. */
export const STYLES = `
:host{all:initial;--ll-accent:#4338ca;--ll-ink:#1f2937;--ll-muted:#4b5563;--ll-line:#e5e7eb;--ll-bot:#f1f3f7;--ll-agent:#e7f6ee;
font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--ll-ink)}
*{box-sizing:border-box}
[hidden]{display:none!important}
button,textarea,a{font:inherit}
button{cursor:pointer}
:focus{outline:none}
:focus-visible{outline:2px solid #fff;box-shadow:0 0 0 4px #111827}
.sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}
.launcher{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border:0;border-radius:50%;
background:var(--ll-accent);color:#fff;display:grid;place-items:center;box-shadow:0 6px 20px rgba(17,24,39,.28);transition:transform .15s}
.launcher:hover{transform:scale(1.05)}
.launcher svg{width:28px;height:28px}
:host([open]) .launcher .i-chat,.launcher .i-close{display:none}
:host([open]) .launcher .i-close{display:block}
.badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;background:#b91c1c;color:#fff;
font-size:12px;font-weight:700;line-height:22px;text-align:center;box-shadow:0 0 0 2px #fff}
.panel{position:fixed;right:20px;bottom:92px;z-index:2147483000;width:380px;height:min(640px,calc(100vh - 112px));min-height:320px;
display:flex;flex-direction:column;background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 12px 40px rgba(17,24,39,.3);
animation:ll-in .18s ease-out}
@keyframes ll-in{from{opacity:0;transform:translateY(12px)}to{opacity:1;transform:none}}
header{display:flex;align-items:center;gap:12px;padding:14px 12px 14px 18px;background:var(--ll-accent);color:#fff}
header .who{flex:1;min-width:0}
header h2{margin:0;font-size:16px;font-weight:650;line-height:1.3}
header p{margin:2px 0 0;font-size:12.5px;opacity:.92}
.icon{width:40px;height:40px;border:0;border-radius:10px;background:transparent;color:inherit;display:grid;place-items:center}
.icon:hover{background:rgba(255,255,255,.16)}
.icon svg{width:22px;height:22px}
.log{flex:1;overflow-y:auto;padding:16px 14px 8px;display:flex;flex-direction:column;gap:8px;overscroll-behavior:contain}
.msg{max-width:85%;padding:9px 13px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere;animation:ll-in .15s ease-out}
.bot,.agent{align-self:flex-start;background:var(--ll-bot);border-bottom-left-radius:4px}
.agent{background:var(--ll-agent)}
.agent .by{display:block;font-size:12px;font-weight:650;color:#065f46;margin-bottom:2px}
.visitor{align-self:flex-end;background:var(--ll-accent);color:#fff;border-bottom-right-radius:4px}
.visitor.failed{opacity:.8}
.failed-note{display:block;margin-top:2px;font-size:12px;font-weight:600}
.note{align-self:center;font-size:12.5px;color:var(--ll-muted);text-align:center;padding:4px 8px}
.actions{display:flex;flex-wrap:wrap;gap:8px;align-self:flex-start;max-width:100%}
.chip{border:1.5px solid var(--ll-accent);background:#fff;color:var(--ll-accent);border-radius:18px;padding:7px 14px;font-weight:600;min-height:40px}
.chip:hover{background:#eef2ff}
.cta{display:inline-flex;align-items:center;gap:8px;min-height:44px;padding:10px 18px;border-radius:10px;background:var(--ll-accent);
color:#fff;font-weight:650;text-decoration:none}
.cta:hover{filter:brightness(1.1)}
.notice{margin:0;font-size:13px;align-self:flex-start}.notice a{color:inherit}
.cta svg{width:18px;height:18px}
.typing{align-self:flex-start;display:flex;gap:5px;padding:13px 15px;background:var(--ll-bot);border-radius:14px;border-bottom-left-radius:4px}
.typing i{width:7px;height:7px;border-radius:50%;background:#6b7280;animation:ll-dot 1.2s infinite ease-in-out}
.typing i:nth-child(2){animation-delay:.15s}.typing i:nth-child(3){animation-delay:.3s}
@keyframes ll-dot{0%,80%,100%{opacity:.3;transform:translateY(0)}40%{opacity:1;transform:translateY(-3px)}}
.alert{margin:0 14px 8px;padding:10px 12px;border-radius:10px;background:#fef2f2;color:#7f1d1d;border:1px solid #fecaca;
display:flex;flex-wrap:wrap;align-items:center;gap:8px 10px;font-size:14px}
.alert span{flex:1 1 14em}
.alert button{border:0;border-radius:8px;background:#7f1d1d;color:#fff;padding:7px 12px;font-weight:600;min-height:36px}
.alert button:disabled{background:#9ca3af;cursor:default}
form{display:flex;align-items:flex-end;gap:8px;padding:10px 12px 12px;border-top:1px solid var(--ll-line)}
textarea{flex:1;resize:none;min-height:44px;max-height:120px;padding:10px 12px;border:1.5px solid #9ca3af;border-radius:12px;
color:var(--ll-ink);background:#fff;line-height:1.4}
textarea:focus-visible{border-color:var(--ll-accent);outline:2px solid var(--ll-accent);outline-offset:0;box-shadow:none}
.send{width:44px;height:44px;border:0;border-radius:12px;background:var(--ll-accent);color:#fff;display:grid;place-items:center;flex:none}
.send:disabled{background:#9ca3af;cursor:default}
.send svg{width:20px;height:20px}
@media (max-width:480px){
.panel{inset:0;width:100%;height:100%;min-height:0;border-radius:0;animation:none}
:host([open]) .launcher{display:none}
.msg{max-width:90%}
textarea{font-size:16px}
}
@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important}}
`;
