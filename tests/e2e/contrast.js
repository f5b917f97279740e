// Every visible text of the page with its colour, its effective background (the stack of
// backgrounds under it, blended) and their WCAG 2 contrast ratio. Plotly's SVG text is measured
// against the chart's paper; text drawn on bars and heatmap cells (plotly picks its colour against
// each cell) and disabled or hidden elements are left out.
() => {
  const parse = c => { if (!c) return null; const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const blend = (top, bottom) => { const a = top[3]; return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]); };
  const lum = c => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const app = document.querySelector('[data-testid="stApp"]');
  const base = parse(getComputedStyle(app).backgroundColor) || [255, 255, 255, 1];
  const ground = el => {
    const layers = [];
    for (let e = el; e && e !== document.documentElement; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 0.999) break; }
    }
    let bg = base;
    for (const c of layers.reverse()) bg = blend(c, bg);
    return bg;
  };
  const opacity = el => { let o = 1; for (let e = el; e; e = e.parentElement) o *= Number(getComputedStyle(e).opacity); return o; };
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || !el || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('script, style, noscript, [disabled], [aria-disabled="true"], [aria-hidden="true"]')) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const s = getComputedStyle(el);
    if (s.visibility === 'hidden') continue;
    const o = opacity(el);
    if (o < 0.05) continue;
    let fg, bg;
    if (el instanceof SVGElement) {
      if (el.closest('.bartext, .textpoint, .heatmaplayer, .hm, .annotation')) continue;
      const plot = el.closest('.js-plotly-plot');
      const paper = plot && plot.querySelector('.main-svg');
      fg = parse(s.fill); bg = paper ? (parse(paper.style.background) || base) : base;
      if (fg) fg = [fg[0], fg[1], fg[2], fg[3] * Number(s.fillOpacity || 1) * o];
    } else {
      fg = parse(s.color); bg = ground(el);
      if (fg) fg = [fg[0], fg[1], fg[2], fg[3] * o];
    }
    if (!fg) continue;
    const shown = blend(fg, bg);
    const cr = ratio(shown, bg);
    out.push({text: text.slice(0, 60), ratio: Math.round(cr * 100) / 100, fg: shown.slice(0, 3).map(Math.round), bg: bg.slice(0, 3).map(Math.round),
              tag: el.tagName, testid: (el.closest('[data-testid]') || {}).getAttribute ? el.closest('[data-testid]').getAttribute('data-testid') : ''});
  }
  return out;
}
