import { html, type Html } from './html.js';

/**
 * A small bar chart as inline SVG, drawn on the server (the CSP allows no inline script, and an
 * SVG's geometry attributes are not styles). Each bar carries a <title> for a tooltip, and the
 * chart a text alternative listing every value.
 */
export interface Bar {
  readonly label: string;
  /** Short axis label under the bar. */
  readonly tick: string;
  readonly value: number;
}

export const barChart = (bars: readonly Bar[], caption: string): Html => {
  const width = 560;
  const height = 160;
  const top = 14;
  const bottom = 20;
  const plot = height - top - bottom;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const slot = bars.length > 0 ? width / bars.length : width;
  const barWidth = Math.max(2, slot * 0.7);
  const description = bars.map((b) => `${b.label}: ${b.value}`).join('; ');
  const shapes = bars.map((b, i) => {
    const h = Math.round((b.value / max) * plot);
    const x = Math.round(i * slot + (slot - barWidth) / 2);
    const y = top + plot - h;
    const cx = Math.round(i * slot + slot / 2);
    return html`<g
      ><title>${b.label}: ${b.value}</title><rect class="bar" x="${x}" y="${y}" width="${Math.round(barWidth)}" height="${h}"></rect>${
        b.value > 0 ? html`<text class="value" x="${cx}" y="${y - 3}" text-anchor="middle">${b.value}</text>` : ''
      }<text x="${cx}" y="${height - 6}" text-anchor="middle">${b.tick}</text></g
    >`;
  });
  return html`<figure class="chart">
    <svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${caption}. ${description}">
      <line class="axis" x1="0" y1="${top + plot}" x2="${width}" y2="${top + plot}"></line>
      ${shapes}
    </svg>
    <figcaption class="muted">${caption}</figcaption>
  </figure>`;
};
