/**
 * The book model as an EPUB 3 file, packed here rather than by an EPUB library: the format is a zip of
 * a few XML files, and writing them ourselves keeps the markup clean (no `&nbsp;`, no `<font>`) and the
 * bundle free of Node built-ins, so it runs on Obsidian mobile. zip.ts does the zipping.
 *
 * Layout: `mimetype` (first, stored), `META-INF/container.xml`, and under `OEBPS/` the package
 * document, the navigation document, an optional cover page, a title page, one XHTML file per chapter
 * and one style sheet. The output is validated by epubcheck in the tests.
 */
import { zipFiles, type ZipEntry } from "./zip";
import { parseFrontmatter, setFrontmatterKeys } from "../book/frontmatter";
import { loadBook } from "../book/scan";
import type { VaultFiles } from "../vault/vault-files";
import { partRanges, type Block, type BookModel, type ModelChapter, type ModelPart, type Run } from "./book-model";
import { IMAGE_EXTENSIONS, pictureName } from "./image-info";

export interface EpubOptions {
  /** The book's stable identifier (`urn:uuid:…`), so readers see a re-export as the same book. */
  identifier: string;
  description?: string;
  /** Written as `dcterms:modified`, and as the zip entries' dates so equal input gives equal bytes. */
  modified: Date;
  cover?: { jpeg: Uint8Array; alt: string };
}

const XHTML_NS = "http://www.w3.org/1999/xhtml";
const EPUB_NS = "http://www.idpf.org/2007/ops";

interface Page {
  id: string;
  href: string;
  body: string;
}

export function toEpub(source: BookModel, options: EpubOptions): Uint8Array {
  const { model, images } = packImages(source);
  const lang = model.language.trim() || "en";
  const title = model.title.trim() || "Untitled";
  const width = String(model.chapters.length).length;
  const chapters: Page[] = model.chapters.map((chapter, i) => {
    const n = String(i + 1).padStart(Math.max(width, 3), "0");
    return { id: `chapter-${n}`, href: `chapter-${n}.xhtml`, body: chapterPage(chapter, lang) };
  });
  const cover: Page | null = options.cover
    ? { id: "cover", href: "cover.xhtml", body: coverPage(title, options.cover.alt, lang) }
    : null;
  const titlePage: Page = { id: "titlepage", href: "title.xhtml", body: titlePageXhtml(model, title, lang) };
  // An omnibus reads each book's title page, then its chapters; ids and file names number the chapters
  // across the whole file, so two books' chapter 1 never share one.
  const parts = partRanges(model).map((range) => ({ ...range, page: { id: `part-${range.index + 1}`, href: `part-${range.index + 1}.xhtml`, body: partPage(range.part, lang) } }));
  const body = parts.length === 0 ? chapters : parts.flatMap((p) => [p.page, ...chapters.slice(p.start, p.end)]);
  const reading = [...(cover ? [cover] : []), titlePage, ...body];

  const encoder = new TextEncoder();
  const text = (s: string) => encoder.encode(s);
  // Entry order is the zip's order; `mimetype` must come first and be stored, not deflated.
  const files: ZipEntry[] = [
    { name: "mimetype", data: text("application/epub+zip"), store: true },
    { name: "META-INF/container.xml", data: text(containerXml()) },
    { name: "OEBPS/content.opf", data: text(packageDocument(model, title, lang, options, reading, cover !== null, images)) },
    { name: "OEBPS/nav.xhtml", data: text(navDocument(model, title, lang, chapters, cover, titlePage, parts)) },
    { name: "OEBPS/style.css", data: text(parts.length === 0 ? STYLE_SHEET : STYLE_SHEET + PART_STYLES) },
  ];
  // Pictures are compressed already; deflating them again costs time and saves nothing.
  if (options.cover) files.push({ name: "OEBPS/cover.jpg", data: options.cover.jpeg, store: true });
  for (const page of reading) files.push({ name: `OEBPS/${page.href}`, data: text(page.body) });
  for (const image of images) files.push({ name: `OEBPS/${image.href}`, data: image.bytes, store: true });
  return zipFiles(files, options.modified);
}

// ---------------------------------------------------------------------------------------------------
// Package

function containerXml(): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles>
    <rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>
  </rootfiles>
</container>
`;
}

interface PackedImage {
  id: string;
  href: string;
  mediaType: string;
  bytes: Uint8Array;
}

/**
 * Each distinct picture once, as `images/image-001.png`, and a copy of the model whose image blocks point
 * at those names (a picture shown in two chapters is stored once).
 */
function packImages(model: BookModel): { model: BookModel; images: PackedImage[] } {
  const byPath = new Map<string, PackedImage>();
  const rewrite = (blocks: Block[]): Block[] =>
    blocks.map((block): Block => {
      if (block.type === "image" && block.image) {
        let packed = byPath.get(block.image.path);
        if (!packed) {
          const n = String(byPath.size + 1).padStart(3, "0");
          packed = { id: `image-${n}`, href: `images/image-${n}.${IMAGE_EXTENSIONS[block.image.mediaType]}`, mediaType: block.image.mediaType, bytes: block.image.bytes };
          byPath.set(block.image.path, packed);
        }
        return { ...block, src: packed.href };
      }
      if (block.type === "blockquote") return { ...block, blocks: rewrite(block.blocks) };
      if (block.type === "list") return { ...block, items: block.items.map(rewrite) };
      return block;
    });
  const chapters = model.chapters.map((c) => ({ ...c, blocks: rewrite(c.blocks), notes: c.notes.map(rewrite) }));
  return { model: { ...model, chapters }, images: [...byPath.values()] };
}

function packageDocument(model: BookModel, title: string, lang: string, options: EpubOptions, reading: Page[], hasCover: boolean, images: PackedImage[]): string {
  const meta = [
    `<dc:identifier id="book-id">${escapeXml(options.identifier)}</dc:identifier>`,
    `<dc:title>${escapeXml(title)}</dc:title>`,
    `<dc:language>${escapeXml(lang)}</dc:language>`,
    ...(model.author ? [`<dc:creator id="creator">${escapeXml(model.author)}</dc:creator>`] : []),
    ...(options.description?.trim() ? [`<dc:description>${escapeXml(options.description.trim())}</dc:description>`] : []),
    `<meta property="dcterms:modified">${epubDate(options.modified)}</meta>`,
    // EPUB 2 readers (and some EPUB 3 ones) find the cover only through this meta.
    ...(hasCover ? [`<meta name="cover" content="cover-image"/>`] : []),
  ];
  const manifest = [
    `<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>`,
    `<item id="style" href="style.css" media-type="text/css"/>`,
    ...(hasCover ? [`<item id="cover-image" href="cover.jpg" media-type="image/jpeg" properties="cover-image"/>`] : []),
    ...reading.map((p) => `<item id="${p.id}" href="${p.href}" media-type="application/xhtml+xml"/>`),
    ...images.map((i) => `<item id="${i.id}" href="${i.href}" media-type="${i.mediaType}"/>`),
  ];
  const spine = reading.map((p) => `<itemref idref="${p.id}"/>`);
  return `<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="book-id" xml:lang="${escapeXml(lang)}">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    ${meta.join("\n    ")}
  </metadata>
  <manifest>
    ${manifest.join("\n    ")}
  </manifest>
  <spine>
    ${spine.join("\n    ")}
  </spine>
</package>
`;
}

/** `dcterms:modified` must be UTC to the second: `2024-05-01T12:00:00Z`. */
function epubDate(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

function navDocument(model: BookModel, title: string, lang: string, chapters: Page[], cover: Page | null, titlePage: Page, parts: { part: ModelPart; start: number; end: number; page: Page }[] = []): string {
  const entry = (i: number): string => `<li><a href="${chapters[i]!.href}">${escapeXml(chapterHeading(model.chapters[i]!))}</a></li>`;
  // An omnibus's contents nest: each book, and under it its chapters.
  const entries =
    parts.length === 0
      ? model.chapters.map((_, i) => entry(i))
      : parts.map((p) => {
          const inner = model.chapters.slice(p.start, p.end).map((_, j) => entry(p.start + j));
          return `<li><a href="${p.page.href}">${escapeXml(p.part.title)}</a>\n          <ol>\n            ${inner.join("\n            ")}\n          </ol>\n        </li>`;
        });
  const start = parts[0]?.page ?? chapters[0];
  const landmarks = [
    ...(cover ? [`<li><a epub:type="cover" href="${cover.href}">Cover</a></li>`] : []),
    `<li><a epub:type="titlepage" href="${titlePage.href}">Title page</a></li>`,
    ...(start ? [`<li><a epub:type="bodymatter" href="${start.href}">Start of content</a></li>`] : []),
  ];
  // A nav's list may not be empty; a book with no chapters lists its title page instead.
  const toc = entries.length > 0 ? entries : [`<li><a href="${titlePage.href}">${escapeXml(title)}</a></li>`];
  return xhtmlPage(
    lang,
    title,
    `<nav epub:type="toc" id="toc">
      <h1>Contents</h1>
      <ol>
        ${toc.join("\n        ")}
      </ol>
    </nav>
    <nav epub:type="landmarks" id="landmarks" hidden="hidden">
      <h2>Landmarks</h2>
      <ol>
        ${landmarks.join("\n        ")}
      </ol>
    </nav>`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Pages

function xhtmlPage(lang: string, title: string, body: string, bodyType?: string): string {
  const l = escapeXml(lang);
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="${XHTML_NS}" xmlns:epub="${EPUB_NS}" xml:lang="${l}" lang="${l}">
  <head>
    <meta charset="UTF-8"/>
    <title>${escapeXml(title)}</title>
    <link rel="stylesheet" type="text/css" href="style.css"/>
  </head>
  <body${bodyType ? ` epub:type="${bodyType}"` : ""}>
    ${body}
  </body>
</html>
`;
}

function coverPage(title: string, alt: string, lang: string): string {
  return xhtmlPage(lang, title, `<section epub:type="cover" class="cover"><img src="cover.jpg" alt="${escapeXml(alt)}"/></section>`);
}

function titlePageXhtml(model: BookModel, title: string, lang: string): string {
  const author = model.author ? `\n      <p class="author">${escapeXml(model.author)}</p>` : "";
  return xhtmlPage(lang, title, `<section epub:type="titlepage" class="titlepage">
      <h1 class="title">${escapeXml(title)}</h1>${author}
    </section>`);
}

/** A book's title page in an omnibus: its place in the series, its title, and its author when the books' differ. */
function partPage(part: ModelPart, lang: string): string {
  const author = part.author ? `\n      <p class="author">${escapeXml(part.author)}</p>` : "";
  return xhtmlPage(lang, part.title, `<section epub:type="part" class="part">
      <p class="part-label">${escapeXml(part.label)}</p>
      <h1 class="part-title">${escapeXml(part.title)}</h1>${author}
    </section>`);
}

function chapterPage(chapter: ModelChapter, lang: string): string {
  const heading = chapterHeading(chapter);
  const blocks = chapter.blocks.map((b) => blockXhtml(b)).join("\n      ");
  return xhtmlPage(lang, heading, `<section epub:type="chapter">
      <h1>${escapeXml(heading)}</h1>${blocks ? `\n      ${blocks}` : ""}${notesXhtml(chapter)}
    </section>`);
}

/**
 * A chapter's footnotes close its page, each an `aside` that reading systems can pop up from its
 * reference, with a link back for those that do not.
 */
function notesXhtml(chapter: ModelChapter): string {
  if (chapter.notes.length === 0) return "";
  const asides = chapter.notes.map((note, i) => {
    const n = i + 1;
    const back = `<a href="#noteref-${n}" class="note-back">${n}.</a> `;
    const body = note.length === 0 ? `<p>${back}</p>` : note.map((b, j) => (j === 0 && b.type === "paragraph" ? `<p>${back}${runsXhtml(b.runs)}</p>` : blockXhtml(b))).join("");
    return `<aside epub:type="footnote" id="note-${n}" class="footnote">${note.length > 0 && note[0]!.type !== "paragraph" ? `<p>${back}</p>` : ""}${body}</aside>`;
  });
  return `\n      <section epub:type="footnotes" class="footnotes">${asides.join("")}</section>`;
}

/** The writer's chapter title; the number only when the chapter has no title (as the text formats do). */
function chapterHeading(chapter: ModelChapter): string {
  const title = chapter.title.trim();
  if (title !== "") return title;
  return chapter.number === null ? "Untitled chapter" : `Chapter ${chapter.number}`;
}

function blockXhtml(block: Block): string {
  switch (block.type) {
    case "paragraph":
      return `<p>${runsXhtml(block.runs)}</p>`;
    case "heading": {
      // The chapter title is the page's h1, so the writer's headings sit one level below it.
      const level = Math.min(Math.max(block.depth + 1, 2), 6);
      return `<h${level}>${runsXhtml(block.runs)}</h${level}>`;
    }
    case "sceneBreak":
      return `<hr class="scene-break"/>`;
    case "blockquote":
      return `<blockquote>${block.blocks.map(blockXhtml).join("")}</blockquote>`;
    case "list": {
      const tag = block.ordered ? "ol" : "ul";
      const start = block.ordered && block.start !== 1 ? ` start="${block.start}"` : "";
      return `<${tag}${start}>${block.items.map((item) => `<li>${item.map(blockXhtml).join("")}</li>`).join("")}</${tag}>`;
    }
    case "code":
      return `<pre><code>${escapeXml(block.text)}</code></pre>`;
    case "image": {
      if (!block.image) return "";
      // Reading systems speak the alt text; a picture without one is named by its file.
      const alt = block.alt.trim() || pictureName(block.image.path);
      return `<figure class="picture"><img src="${escapeXml(block.src)}" alt="${escapeXml(alt)}"/></figure>`;
    }
  }
}

function runsXhtml(runs: Run[]): string {
  return runs
    .map((run) => {
      if (run.note !== undefined) return `<sup><a epub:type="noteref" href="#note-${run.note}" id="noteref-${run.note}">${run.note}</a></sup>`;
      let out = escapeXml(run.text);
      if (out === "") return "";
      if (run.italic) out = `<em>${out}</em>`;
      if (run.bold) out = `<strong>${out}</strong>`;
      return out;
    })
    .join("");
}

/**
 * Escapes text for XML content and attribute values, and drops the control characters XML 1.0 cannot
 * hold at all (a stray one in a chapter would make the whole file unreadable to a strict reader).
 */
export function escapeXml(text: string): string {
  return (
    text
      // eslint-disable-next-line no-control-regex -- these are exactly the characters XML 1.0 forbids
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "")
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;")
  );
}

/**
 * Paragraphs are indented except the first after a heading or scene break, as printed fiction is. The
 * scene break is a centred asterism drawn by CSS, so the XHTML stays a plain `<hr/>` that readers
 * without style support still show as a break.
 */
const STYLE_SHEET = `body { margin: 0 5%; line-height: 1.4; }
h1 { text-align: center; margin: 2em 0 1.5em; font-weight: normal; }
h2, h3, h4, h5, h6 { margin: 1.5em 0 0.75em; }
p { margin: 0; text-indent: 0; }
p + p { text-indent: 1.5em; }
hr.scene-break { border: none; margin: 1em 0; text-align: center; height: 1.4em; }
hr.scene-break::after { content: "\\2042"; }
blockquote { margin: 1em 2em; }
blockquote p + p { text-indent: 0; margin-top: 0.5em; }
ul, ol { margin: 1em 0 1em 2em; padding: 0; }
pre { white-space: pre-wrap; font-size: 0.9em; margin: 1em 0; }
.titlepage { text-align: center; margin-top: 30%; }
.titlepage .author { text-align: center; margin-top: 2em; text-indent: 0; }
.cover { text-align: center; margin: 0; }
.cover img { max-width: 100%; max-height: 100vh; }
sup { font-size: 0.7em; line-height: 0; }
figure.picture { margin: 1em 0; text-align: center; }
figure.picture img { max-width: 100%; max-height: 90vh; }
.footnotes { margin-top: 2em; border-top: 1px solid; padding-top: 0.5em; font-size: 0.9em; }
.footnote p { text-indent: 0; margin: 0 0 0.5em; }
`;

/** Added for an omnibus only, so a single book's style sheet stays as it was. */
const PART_STYLES = `.part { text-align: center; margin-top: 30%; }
.part .part-label { text-indent: 0; font-style: italic; }
.part .author { text-indent: 0; margin-top: 2em; }
`;

// ---------------------------------------------------------------------------------------------------
// Stable identifier

/**
 * The book's EPUB identifier, kept in its index note's `identifier` key so every export of the book
 * carries the same one (readers and stores use it to tell an update from a new book). The first export
 * generates `urn:uuid:<v4>` and writes it, touching only that key's bytes. Read and write happen inside
 * one `process` call, so two exports racing still agree on one identifier.
 */
export async function ensureBookIdentifier(vault: VaultFiles, bookFolder: string): Promise<string> {
  const book = await loadBook(vault, bookFolder);
  return ensureNoteIdentifier(vault, book.indexPath);
}

/** The same for any index note: a series note keeps its omnibus's identifier this way. */
export async function ensureNoteIdentifier(vault: VaultFiles, indexPath: string): Promise<string> {
  let identifier = "";
  await vault.process(indexPath, (text) => {
    const existing = parseFrontmatter(indexPath, text).data?.["identifier"];
    if ((typeof existing === "string" || typeof existing === "number") && String(existing).trim() !== "") {
      identifier = String(existing).trim();
      return text;
    }
    // The global Web Crypto, not Node's module: it exists in Obsidian (desktop and mobile) and Node 20.
    identifier = `urn:uuid:${crypto.randomUUID()}`;
    return setFrontmatterKeys(text, { identifier });
  });
  return identifier;
}
