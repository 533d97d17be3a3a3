/**
 * The console's one stylesheet, served from /assets/console.css. Embedded as a string because the
 * build is `tsc` alone: a .css file in the source tree would not reach dist/. The CSP is
 * `default-src 'self'`, so no page carries inline styles; everything visual lives here.
 */
export const CONSOLE_CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--accent:#0b57d0;
--pass:#1a7f37;--hold:#9a6700;--reject:#cf222e;--failed:#6e7781;--focus:#0b57d0}
*{box-sizing:border-box}
html{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
body{margin:0}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,tr:focus-visible,summary:focus-visible{
outline:3px solid var(--focus);outline-offset:2px}
.skip{position:absolute;left:-9999px;top:0}
.skip:focus{left:1rem;top:.5rem;background:var(--bg);padding:.25rem .5rem;z-index:10}
header.top{display:flex;flex-wrap:wrap;align-items:center;gap:1rem;padding:.6rem 1.25rem;border-bottom:1px solid var(--line);background:var(--soft)}
header.top .brand{font-weight:700;text-decoration:none;color:var(--fg);font-size:1.05rem}
header.top nav ul{display:flex;gap:.25rem;list-style:none;margin:0;padding:0}
header.top nav a{display:block;padding:.25rem .6rem;border-radius:6px;text-decoration:none;color:var(--fg)}
header.top nav a[aria-current="page"]{background:var(--bg);box-shadow:inset 0 -2px 0 var(--accent);font-weight:600}
header.top .who{margin-left:auto;display:flex;align-items:center;gap:.75rem;color:var(--muted)}
header.top .who form{margin:0}
main{padding:1rem 1.25rem 3rem;max-width:90rem;margin:0 auto}
h1{font-size:1.45rem;margin:.5rem 0 1rem}
h2{font-size:1.1rem;margin:1.75rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
table{border-collapse:collapse;width:100%;margin:.25rem 0 1rem}
th,td{border-bottom:1px solid var(--line);padding:.35rem .6rem;text-align:left;vertical-align:top}
thead th{background:var(--soft);font-weight:600;white-space:nowrap}
tbody th{font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.muted{color:var(--muted)}
.badge{display:inline-block;padding:0 .45rem;border-radius:999px;font-size:.8rem;font-weight:700;letter-spacing:.03em;border:1px solid currentColor}
.badge.pass{color:var(--pass)}.badge.hold{color:var(--hold)}.badge.reject{color:var(--reject)}.badge.failed,.badge.pending{color:var(--failed)}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:1rem}
.card{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;background:var(--bg)}
.card h2{margin-top:0;border:0;font-size:1rem}
.big{font-size:1.6rem;font-weight:700}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
.kv dt{color:var(--muted)}.kv dd{margin:0}
.notice{border-left:4px solid var(--pass);background:#dafbe1;padding:.5rem .75rem;margin:0 0 1rem}
.error{border-left:4px solid var(--reject);background:#ffebe9;padding:.5rem .75rem;margin:0 0 1rem}
.reconciled{color:var(--pass);font-weight:600}.unreconciled{color:var(--reject);font-weight:600}
form.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin-bottom:1rem}
form.filters .filter{display:flex;flex-direction:column;gap:.15rem}
form.filters label,form.review label.block{font-size:.85rem;color:var(--muted)}
input,select,textarea,button{font:inherit}
input[type=text],input[type=search],input[type=password],select,textarea{padding:.3rem .45rem;border:1px solid #8c959f;border-radius:6px;background:var(--bg);color:var(--fg)}
button,.button{padding:.35rem .9rem;border:1px solid #8c959f;border-radius:6px;background:var(--soft);color:var(--fg);cursor:pointer;text-decoration:none;display:inline-block}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
nav.pager{display:flex;gap:1rem;align-items:center}
.chart{max-width:44rem}
.chart svg{width:100%;height:auto;display:block}
.chart .bar{fill:var(--accent)}.chart .axis{stroke:var(--line)}.chart text{font-size:10px;fill:var(--muted)}
.chart .value{fill:var(--fg)}
.doc-grid{display:grid;grid-template-columns:minmax(18rem,38rem) 1fr;gap:1.5rem;align-items:start}
@media (max-width:60rem){.doc-grid{grid-template-columns:1fr}}
.viewer figure{margin:0}
.viewer .page{position:relative;border:1px solid var(--line);background:var(--soft);line-height:0}
.viewer .page img{width:100%;height:auto;display:block}
.viewer .page svg.overlay{position:absolute;inset:0;width:100%;height:100%;pointer-events:none}
.viewer .page .no-image{aspect-ratio:1/1.414;display:flex;align-items:center;justify-content:center;line-height:1.5;color:var(--muted)}
svg.overlay .word{fill:rgba(11,87,208,.08);stroke:rgba(11,87,208,.55);stroke-width:1;vector-effect:non-scaling-stroke}
svg.overlay .field rect{fill:rgba(154,103,0,.12);stroke:#9a6700;stroke-width:2;vector-effect:non-scaling-stroke;pointer-events:all}
svg.overlay .mask{fill:#59636e;stroke:none}
svg.overlay .field.low rect{stroke:var(--reject);stroke-dasharray:4 2}
.viewer:has(#show-words:not(:checked)) svg.overlay .word{display:none}
.viewer:has(#show-fields:not(:checked)) svg.overlay .field{display:none}
.viewer .controls{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;margin:.5rem 0}
.viewer .pages{display:flex;gap:.25rem;list-style:none;padding:0;margin:0}
.viewer .pages a{padding:0 .45rem;border:1px solid var(--line);border-radius:4px;text-decoration:none}
.viewer .pages a[aria-current="page"]{background:var(--accent);color:#fff;border-color:var(--accent)}
.legend-word,.legend-field{display:inline-block;width:.9em;height:.9em;vertical-align:-.1em;margin-right:.25em;border:1px solid}
.legend-word{background:rgba(11,87,208,.08);border-color:rgba(11,87,208,.55)}
.legend-field{background:rgba(154,103,0,.12);border-color:#9a6700;border-width:2px}
tr.low td.conf{color:var(--reject);font-weight:700}
.flag{color:var(--reject);font-weight:700;font-size:.8rem;margin-left:.35rem}
.masked{letter-spacing:.05em}
fieldset{border:1px solid var(--line);border-radius:8px;padding:.5rem 1rem 1rem;margin:0 0 1rem}
legend{font-weight:600;padding:0 .25rem}
form.review{border:2px solid var(--hold);border-radius:8px;padding:1rem;background:#fff8c5}
form.review .actions{display:flex;gap:1.5rem;margin:.25rem 0 .75rem}
form.review .reason input{width:100%}
form.review table input{width:100%}
kbd{font-family:ui-monospace,monospace;border:1px solid #8c959f;border-bottom-width:2px;border-radius:4px;padding:0 .3rem;font-size:.85em;background:var(--soft)}
#queue tbody tr.selected{background:#ddf4ff}
#queue tbody tr.selected td:first-child{box-shadow:inset 3px 0 0 var(--accent)}
.login{max-width:24rem;margin:4rem auto}
@media (prefers-reduced-motion:no-preference){a,button{transition:background-color .1s}}
`;
