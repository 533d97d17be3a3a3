import type { BoundingBox } from '../../../domain/document.js';
import type { LayoutPage } from '../api-layout.js';
import { html, type Html } from './html.js';

/**
 * The page viewer: the rendered page as an <img>, with an SVG laid exactly over it that draws the
 * OCR word boxes and the extracted fields' boxes. Boxes are fractions of the upright page (Textract's
 * BoundingBox), so the SVG's viewBox is the unit square scaled by 1000 and stretched to the image
 * (preserveAspectRatio="none"): no pixel sizes are needed and the overlay follows the image at any
 * width. Drawn on the server, so it needs no script; the show/hide toggles are CSS (:has) only.
 *
 * Words are drawn as boxes without their text, and a field box names the field, never its value:
 * the overlay shows where things are, the tables beside it show what (masked where sensitive).
 */

/** One page's geometry, as the API's /layout gives it (api-layout.ts builds both). */
export type PageLayout = Pick<LayoutPage, 'page' | 'words' | 'fields' | 'method'>;

export const LOW_CONFIDENCE = 0.8;

const SCALE = 1000;

const n = (x: number): string => (Math.round(Math.min(1, Math.max(0, x)) * SCALE * 10) / 10).toString();

const coords = (box: BoundingBox): Html => html`x="${n(box.left)}" y="${n(box.top)}" width="${n(box.width)}" height="${n(box.height)}"`;

const wordRect = (box: BoundingBox): Html => html`<rect class="word" ${coords(box)} />`;

/** A little larger than the value's box, so no glyph edge shows around it. */
const PAD = 0.003;

/**
 * A sensitive field's value is covered on the page image, whatever the toggles say: the console
 * masks sensitive values everywhere it shows them, and the image is one of those places.
 */
const maskRect = (box: BoundingBox): Html =>
  html`<rect
    class="mask"
    ${coords({ left: box.left - PAD, top: box.top - PAD, width: box.width + 2 * PAD, height: box.height + 2 * PAD })}
  />`;

/** A field's box names the field (a tooltip on hover), never its value. */
const fieldRect = (f: PageLayout['fields'][number]): Html =>
  html`<g class="${f.confidence < LOW_CONFIDENCE ? 'field low' : 'field'}">
    <title>${f.name}</title>
    <rect ${coords(f.box)} />
  </g>`;

export const pageViewer = (input: {
  readonly documentId: string;
  readonly pageCount: number;
  readonly page: number;
  readonly layout: PageLayout | null;
  readonly imageUrl: string;
  readonly pageHref: (page: number) => string;
}): Html => {
  const { layout, page } = input;
  const pages = Array.from({ length: input.pageCount }, (_, i) => i + 1);
  const overlay = layout
    ? html`<svg class="overlay" viewBox="0 0 ${SCALE} ${SCALE}" preserveAspectRatio="none" aria-hidden="true" focusable="false">
        ${layout.words.map((w) => wordRect(w.box))} ${layout.fields.filter((f) => f.sensitive).map((f) => maskRect(f.box))}
        ${layout.fields.map(fieldRect)}
      </svg>`
    : '';
  const plural = (k: number, one: string, many: string): string => `${k} ${k === 1 ? one : many}`;
  const summary = layout
    ? `${plural(layout.words.length, 'word box', 'word boxes')} (${layout.method === 'ocr' ? 'OCR' : 'text layer'}), ${plural(layout.fields.length, 'field box', 'field boxes')} on this page`
    : 'No layout recorded for this page.';
  return html`<section class="viewer" aria-labelledby="viewer-title">
    <h2 id="viewer-title">Page ${page} of ${input.pageCount}</h2>
    <div class="controls">
      ${
        pages.length > 1
          ? html`<nav aria-label="Pages">
              <ul class="pages">
                ${pages.map((p) => html`<li><a href="${input.pageHref(p)}" ${p === page ? html` aria-current="page"` : ''}>${p}</a></li>`)}
              </ul>
            </nav>`
          : ''
      }
      <label><input type="checkbox" id="show-words" checked /> <span class="legend-word" aria-hidden="true"></span>Words</label>
      <label><input type="checkbox" id="show-fields" checked /> <span class="legend-field" aria-hidden="true"></span>Fields</label>
      <span class="muted">${summary}</span>
    </div>
    <figure>
      <div class="page">
        <img
          src="${input.imageUrl}"
          alt="Page ${page} of document ${input.documentId.slice(0, 12)}"
          loading="lazy"
          decoding="async"
        />${overlay}
      </div>
      ${
        layout && layout.fields.length > 0
          ? html`<figcaption class="muted">
              Field boxes: ${layout.fields.map((f) => f.name).join(', ')}. Dashed: confidence below ${LOW_CONFIDENCE}.
              ${
                layout.fields.some((f) => f.sensitive)
                  ? html`Grey: a sensitive value
                    (${layout.fields
                      .filter((f) => f.sensitive)
                      .map((f) => f.name)
                      .join(', ')}),
                    covered.`
                  : ''
              }
            </figcaption>`
          : ''
      }
    </figure>
  </section>`;
};
