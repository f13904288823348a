import type { ConsentState } from './consent-ledger.ts';
import type { TokenProblem } from './preference-token.ts';
import { PURPOSES } from './purposes.ts';

const LABELS: Record<string, string> = {
  email_marketing: 'Marketing emails',
  phone: 'Phone calls about our offer',
  sms: 'Text messages',
  profiling: 'Scoring and personalisation (profiling)',
  sale_or_share: 'Sale or sharing with third parties',
  processing: 'Any processing beyond storage (withdrawing it restricts processing)',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#1d2733}
h1{font-size:1.5rem}table{border-collapse:collapse;width:100%}td,th{padding:.5rem;border-bottom:1px solid #dde3ea;text-align:left}
.on{color:#11703a;font-weight:600}.off{color:#8a1c1c;font-weight:600}button{font:inherit;padding:.35rem .8rem;border-radius:.4rem;border:1px solid #687789;background:#fff;cursor:pointer}
.requests button{margin-right:.5rem}#status{margin-top:1rem;min-height:1.5rem}.note{color:#56606b;font-size:.9rem}`;

function page(title: string, body: string, script = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}${script ? `<script>${script}</script>` : ''}</body></html>`;
}

/** The page behind a valid link: consent per purpose with its last change, and the two requests. */
export function renderPreferencePage(
  state: ConsentState,
  options: { token: string; gpcHonoured: boolean },
): string {
  const rows = PURPOSES.map((purpose) => {
    const p = state.purposes[purpose];
    const allowed = p?.allowed === true;
    const since = p?.since ? new Date(p.since).toISOString().slice(0, 10) : null;
    const detail =
      p?.basis === 'recorded'
        ? `${allowed ? 'given' : 'withdrawn'} ${since} (${escapeHtml(p.method ?? '')}${p.noticeVersion ? `, notice ${escapeHtml(p.noticeVersion)}` : ''})`
        : escapeHtml(p?.basis ?? '');
    return `<tr><td>${escapeHtml(LABELS[purpose] ?? purpose)}</td><td class="${allowed ? 'on' : 'off'}" data-purpose="${purpose}">${allowed ? 'Allowed' : 'Not allowed'}</td><td class="note">${detail}</td><td><button type="button" data-action="${allowed ? 'withdraw' : 'grant'}" data-purpose="${purpose}">${allowed ? 'Withdraw' : 'Allow'}</button></td></tr>`;
  }).join('');
  const body = `<h1>Your privacy choices</h1>
<p>Change what we may do with your data. A change takes effect at once.</p>
${options.gpcHonoured ? '<p class="note" id="gpc">Your browser’s Global Privacy Control signal was received and honoured: opted out of sale and sharing.</p>' : ''}
<table><thead><tr><th>Purpose</th><th>Now</th><th>Last change</th><th></th></tr></thead><tbody>${rows}</tbody></table>
<h2>Your rights</h2>
<p class="requests"><button type="button" data-request="access">Send me a copy of my data</button><button type="button" data-request="erasure">Erase my data</button></p>
<p class="note">This link was sent to your address, so it proves the request is yours: a copy is ready at once, and erasure happens as soon as you confirm it.</p>
<p id="status" role="status"></p>`;
  const script = `const token=${JSON.stringify(options.token)};const status=document.getElementById('status');
async function send(body){const r=await fetch('/p/'+encodeURIComponent(token),{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(body)});const j=await r.json().catch(()=>({}));return {ok:r.ok,j};}
for(const b of document.querySelectorAll('button[data-action]'))b.addEventListener('click',async()=>{const {ok}=await send({action:b.dataset.action,purpose:b.dataset.purpose});if(ok)location.reload();else status.textContent='That did not work; please try again.';});
for(const b of document.querySelectorAll('button[data-request]'))b.addEventListener('click',async()=>{const erase=b.dataset.request==='erasure';if(erase&&!confirm('Erase everything we hold about you? This cannot be undone.'))return;const {ok,j}=await send({request:b.dataset.request});status.textContent='';if(!ok){status.textContent='That did not work; please try again.';return;}
if(j.status!=='completed'){status.textContent='Request received (reference '+j.requestId+'). We will answer by '+String(j.dueAt).slice(0,10)+'.';return;}
if(erase){status.textContent='Your data has been erased (reference '+j.requestId+'). This link no longer works.';for(const x of document.querySelectorAll('button'))x.disabled=true;return;}
const a=document.createElement('a');a.id='download';a.href=j.download;a.download='';a.textContent='Download your data (JSON)';status.append('Your copy is ready (reference '+j.requestId+'): ',a);});`;
  return page('Your privacy choices', body, script);
}

const PROBLEMS: Record<TokenProblem, string> = {
  malformed: 'This link is not complete. Please open the full link from the message we sent you.',
  bad_signature: 'This link is not valid. Please open the link from the message we sent you.',
  expired:
    'This link has expired. Please use the link in a more recent message, or contact us to ask for a new one.',
};

/** A bad or expired link: a plain explanation, nothing about whether the person is known. */
export function renderLinkProblem(problem: TokenProblem): string {
  return page(
    'Link not valid',
    `<h1>This link can’t be used</h1><p id="problem">${escapeHtml(PROBLEMS[problem])}</p>`,
  );
}
