/**
 * The status page's only stylesheet, inlined in a <style> element and allowed by its
 * SHA-256 in the Content-Security-Policy (no 'unsafe-inline', no nonce to thread through,
 * nothing fetched). Colours meet WCAG AA contrast in both schemes; state is always also
 * written as text, never shown by colour alone.
 */

export const STATUS_PAGE_CSS = `
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--card:#f6f8fa;
--ok:#1a7f37;--minor:#7d5700;--major:#b5470b;--critical:#c11c27;--none:#d1d9e0;
--bar-ok:#2da44e;--bar-minor:#d4a72c;--bar-major:#e16f24;--bar-critical:#cf222e;--link:#0550ae}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;
--card:#151b23;--ok:#3fb950;--minor:#d29922;--major:#f0883e;--critical:#ff7b72;--none:#3d444d;
--bar-ok:#2ea043;--bar-minor:#bb8009;--bar-major:#db6d28;--bar-critical:#da3633;--link:#4493f8}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif}
a{color:var(--link)}
a:focus-visible{outline:2px solid var(--link);outline-offset:2px}
.skip{position:absolute;left:-999px}
.skip:focus{left:1rem;top:1rem;background:var(--bg);padding:.25rem .5rem}
header,main,footer{max-width:60rem;margin:0 auto;padding:0 1rem}
header{padding-top:1.5rem}
h1{font-size:clamp(1.4rem,4vw,2rem);margin:0 0 .25rem}
h2{font-size:1.25rem;margin:2rem 0 .75rem}
h3{font-size:1.05rem;margin:0}
p{margin:.25rem 0}
.muted{color:var(--muted)}
.overall{border:1px solid var(--line);border-left:.5rem solid var(--state);border-radius:.5rem;padding:1rem;margin-top:1.25rem;background:var(--card)}
.overall h2{margin:0 0 .25rem;color:var(--state)}
.notice{border:1px solid var(--major);border-radius:.5rem;padding:.75rem 1rem;margin-top:1rem}
.s-operational{--state:var(--ok)}.s-minor{--state:var(--minor)}.s-major{--state:var(--major)}.s-critical{--state:var(--critical)}
.state{color:var(--state);font-weight:600}
.incidents,.areas,.resolved{list-style:none;margin:0;padding:0}
.incident p{overflow-wrap:anywhere}
.subject code{font-size:.875rem}
.incident{border:1px solid var(--line);border-left:.5rem solid var(--state);border-radius:.5rem;padding:.75rem 1rem;margin-bottom:.75rem}
.area{border-bottom:1px solid var(--line);padding:1rem 0}
.area-head{display:flex;flex-wrap:wrap;justify-content:space-between;gap:.25rem 1rem;align-items:baseline}
.bar{display:grid;grid-template-columns:repeat(90,1fr);gap:1px;list-style:none;margin:.5rem 0 .25rem;padding:0;height:2rem}
.bar li{background:var(--bar-ok);border-radius:1px;min-width:0}
.bar .d-none{background:var(--none)}.bar .d-P3,.bar .d-P2{background:var(--bar-minor)}
.bar .d-P1{background:var(--bar-major)}.bar .d-P0{background:var(--bar-critical)}
.bar-scale{display:flex;justify-content:space-between;font-size:.875rem;color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;list-style:none;padding:0;margin:.5rem 0;font-size:.875rem}
.swatch{display:inline-block;width:.75rem;height:.75rem;border-radius:2px;margin-right:.35rem;vertical-align:-.05rem}
.swatch.d-ok{background:var(--bar-ok)}.swatch.d-minor{background:var(--bar-minor)}.swatch.d-major{background:var(--bar-major)}
.swatch.d-critical{background:var(--bar-critical)}.swatch.d-none{background:var(--none)}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
caption{text-align:left;color:var(--muted);padding-bottom:.5rem}
th,td{text-align:left;padding:.4rem .75rem .4rem 0;border-bottom:1px solid var(--line);vertical-align:top}
footer{margin-top:2.5rem;padding-bottom:2rem;border-top:1px solid var(--line);padding-top:1rem;font-size:.875rem}
footer ul{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:.5rem 1.25rem}
`;

let hashPromise: Promise<string> | undefined;

/** The CSP source for the stylesheet: `'sha256-<base64>'`, computed once per isolate. */
export function statusPageStyleHash(): Promise<string> {
  hashPromise ??= crypto.subtle
    .digest('SHA-256', new TextEncoder().encode(STATUS_PAGE_CSS))
    .then((digest) => `'sha256-${btoa(String.fromCharCode(...new Uint8Array(digest)))}'`);
  return hashPromise;
}
