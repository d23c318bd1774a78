/**
 * WordprocessingML written as strings, and the package around it: the escaping, paragraph and run
 * properties, inline pictures, styles, settings, section properties, document properties, content
 * types and relationships, zipped by zip.ts (native deflate in the CLI). No object per node: a novel's document.xml is a few megabytes of
 * text built by concatenation, which is what keeps a one-off export fast (a CLI runs cold, once) and
 * the bundle small. No Node built-ins: this runs on Obsidian mobile.
 *
 * Elements are written in the order the schema (ECMA-376 Part 1, transitional) requires; Word refuses
 * a document whose elements are out of order, where LibreOffice and pandoc forgive it.
 */
import { zipFiles, type ZipEntry } from "./zip";

/** Twips (twentieths of a point) per inch: every length in WordprocessingML is in twips. */
export const INCH = 1440;
const W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing";
const A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main";
const PIC_NS = "http://schemas.openxmlformats.org/drawingml/2006/picture";
const XML_DECLARATION = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n`;

// ---------------------------------------------------------------------------------------------------
// Text

// eslint-disable-next-line no-control-regex -- exactly the characters XML 1.0 forbids, and carriage returns
const UNCLEAN = /[\r\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/**
 * Drops what XML 1.0 cannot hold (C0 controls but tab and line feed, U+FFFE, U+FFFF); a carriage return
 * is a line break written the old way.
 */
export function clean(text: string): string {
  if (!UNCLEAN.test(text)) return text;
  // eslint-disable-next-line no-control-regex -- exactly the characters XML 1.0 forbids
  return text.replace(/\r\n?/g, "\n").replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "");
}

const ENTITIES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };
const entity = (ch: string): string => ENTITIES[ch]!;

/** Escapes clean text for an element's content. */
export function escapeText(text: string): string {
  return /[&<>]/.test(text) ? text.replace(/[&<>]/g, entity) : text;
}

/** Escapes text for a double-quoted attribute value, dropping what XML cannot hold. */
export function escapeAttr(text: string): string {
  const clear = clean(text).replace(/[\n\t]/g, " ");
  return /[&<>"]/.test(clear) ? clear.replace(/[&<>"]/g, entity) : clear;
}

/**
 * A `w:t`. Always `xml:space="preserve"`: without it a reader may drop a run's leading or trailing
 * space, and a run's text is a piece of a sentence (`She said it ` + `twice`).
 */
const wt = (text: string): string => `<w:t xml:space="preserve">${escapeText(text)}</w:t>`;

/** One line of text as a run's content: a tab becomes a Word tab. */
function lineContent(line: string): string {
  if (line === "") return "";
  if (!line.includes("\t")) return wt(line);
  return line
    .split("\t")
    .map((part) => (part === "" ? "" : wt(part)))
    .join("<w:tab/>");
}

const RUN_FORMATS = ["", "<w:rPr><w:i/><w:iCs/></w:rPr>", "<w:rPr><w:b/><w:bCs/></w:rPr>", "<w:rPr><w:b/><w:bCs/><w:i/><w:iCs/></w:rPr>"];

/** Text as runs: a hard line break (`\n`) becomes a Word line break and a tab a Word tab. */
export function textRuns(text: string, format: { italic?: boolean; bold?: boolean } = {}): string {
  const rPr = RUN_FORMATS[(format.italic ? 1 : 0) + (format.bold ? 2 : 0)]!;
  const clear = clean(text);
  if (!clear.includes("\n")) return clear === "" ? "" : `<w:r>${rPr}${lineContent(clear)}</w:r>`;
  let xml = "";
  clear.split("\n").forEach((line, i) => {
    if (i === 0 && line === "") return;
    xml += `<w:r>${rPr}${i > 0 ? "<w:br/>" : ""}${lineContent(line)}</w:r>`;
  });
  return xml;
}

/** A PAGE field, its result left for the application to fill in as it lays the pages out. */
export const PAGE_FIELD =
  `<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve">PAGE</w:instrText></w:r>` +
  `<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>`;

// ---------------------------------------------------------------------------------------------------
// Pictures

/** DrawingML lengths are in EMU (English Metric Units): 914,400 to the inch, so 635 to the twip. */
export const EMU_PER_TWIP = 635;
/** A pixel at 96 dpi, the size Word gives a picture with no resolution of its own. */
export const EMU_PER_PIXEL = 9525;

export interface Drawing {
  /** The drawing's `wp:docPr` id, unique across the document (body, notes and all). */
  id: number;
  /** The relationship id, from the part the drawing is in, of the picture's media part. */
  rel: string;
  /** Alt text, as Word's Alt Text pane and screen readers show it. */
  descr: string;
  /** Width and height in EMU. */
  cx: number;
  cy: number;
}

/**
 * A picture inline in the text, as a run: `wp:inline` > `a:graphic` > `pic:pic`, the picture stretched
 * to the extent given, its aspect ratio locked for the writer who resizes it in Word. The part it is in
 * declares the wp, a and pic prefixes on its root (DRAWING_NS).
 */
export function drawingRun(d: Drawing): string {
  const descr = escapeAttr(d.descr);
  const name = `Picture ${d.id}`;
  return (
    `<w:r><w:drawing><wp:inline distT="0" distB="0" distL="0" distR="0">` +
    `<wp:extent cx="${d.cx}" cy="${d.cy}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>` +
    `<wp:docPr id="${d.id}" name="${name}" descr="${descr}"/>` +
    `<wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>` +
    `<a:graphic><a:graphicData uri="${PIC_NS}"><pic:pic>` +
    `<pic:nvPicPr><pic:cNvPr id="${d.id}" name="${name}" descr="${descr}"/><pic:cNvPicPr><a:picLocks noChangeAspect="1"/></pic:cNvPicPr></pic:nvPicPr>` +
    `<pic:blipFill><a:blip r:embed="${d.rel}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>` +
    `<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="${d.cx}" cy="${d.cy}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>` +
    `</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>`
  );
}

// ---------------------------------------------------------------------------------------------------
// Properties

export interface ParagraphProps {
  /** The paragraph's style (`w:pStyle`); a paragraph only, not a style definition. */
  style?: string;
  keepNext?: boolean;
  keepLines?: boolean;
  pageBreakBefore?: boolean;
  widowControl?: boolean;
  tabs?: { val: "left" | "right" | "center"; pos: number; leader?: "dot" }[];
  suppressAutoHyphens?: boolean;
  spacing?: { before?: number; after?: number; line?: number };
  ind?: { left?: number; right?: number; firstLine?: number; hanging?: number };
  contextualSpacing?: boolean;
  jc?: "left" | "center" | "right" | "both";
  outline?: number;
}

export interface RunProps {
  font?: string;
  b?: boolean;
  i?: boolean;
  sz?: number;
  vertAlign?: "superscript";
}

/** Paragraph properties, in CT_PPr's order. */
export function pPrXml(p: ParagraphProps): string {
  let x = "";
  if (p.style) x += `<w:pStyle w:val="${p.style}"/>`;
  if (p.keepNext) x += "<w:keepNext/>";
  if (p.keepLines) x += "<w:keepLines/>";
  if (p.pageBreakBefore) x += "<w:pageBreakBefore/>";
  if (p.widowControl) x += "<w:widowControl/>";
  if (p.tabs) x += `<w:tabs>${p.tabs.map((t) => `<w:tab w:val="${t.val}"${t.leader ? ` w:leader="${t.leader}"` : ""} w:pos="${t.pos}"/>`).join("")}</w:tabs>`;
  if (p.suppressAutoHyphens) x += "<w:suppressAutoHyphens/>";
  if (p.spacing) {
    const { before, after, line } = p.spacing;
    x += `<w:spacing${before !== undefined ? ` w:before="${before}"` : ""}${after !== undefined ? ` w:after="${after}"` : ""}${line !== undefined ? ` w:line="${line}" w:lineRule="auto"` : ""}/>`;
  }
  if (p.ind) {
    const { left, right, firstLine, hanging } = p.ind;
    const attrs = [left !== undefined ? ` w:left="${left}"` : "", right !== undefined ? ` w:right="${right}"` : "", hanging !== undefined ? ` w:hanging="${hanging}"` : firstLine !== undefined ? ` w:firstLine="${firstLine}"` : ""];
    x += `<w:ind${attrs.join("")}/>`;
  }
  if (p.contextualSpacing) x += "<w:contextualSpacing/>";
  if (p.jc) x += `<w:jc w:val="${p.jc}"/>`;
  if (p.outline !== undefined) x += `<w:outlineLvl w:val="${p.outline}"/>`;
  return `<w:pPr>${x}</w:pPr>`;
}

/** Run properties, in CT_RPr's order. */
function rPrXml(r: RunProps): string {
  let x = "";
  if (r.font) {
    const f = escapeAttr(r.font);
    x += `<w:rFonts w:ascii="${f}" w:hAnsi="${f}" w:cs="${f}"/>`;
  }
  if (r.b) x += "<w:b/><w:bCs/>";
  if (r.i) x += "<w:i/><w:iCs/>";
  if (r.sz !== undefined) x += `<w:sz w:val="${r.sz}"/><w:szCs w:val="${r.sz}"/>`;
  if (r.vertAlign) x += `<w:vertAlign w:val="${r.vertAlign}"/>`;
  return `<w:rPr>${x}</w:rPr>`;
}

/** A paragraph in a style; `props` for what the place it stands in adds to the style. */
export function paragraph(style: string, content: string, props?: ParagraphProps): string {
  if (!props) return `<w:p><w:pPr><w:pStyle w:val="${style}"/></w:pPr>${content}</w:p>`;
  return `<w:p>${pPrXml({ ...props, style })}${content}</w:p>`;
}

export interface PageSetup {
  size: { width: number; height: number };
  margin: { top: number; right: number; bottom: number; left: number; header: number; footer: number };
}

/** A section's properties, in CT_SectPr's order. A section without a `type` starts on a new page too. */
export function sectPrXml(page: PageSetup, o: { header?: boolean; footer?: boolean; nextPage?: boolean; startAt?: number } = {}): string {
  const m = page.margin;
  return (
    "<w:sectPr>" +
    (o.header ? `<w:headerReference w:type="default" r:id="${REL.header}"/>` : "") +
    (o.footer ? `<w:footerReference w:type="default" r:id="${REL.footer}"/>` : "") +
    (o.nextPage ? `<w:type w:val="nextPage"/>` : "") +
    `<w:pgSz w:w="${page.size.width}" w:h="${page.size.height}" w:orient="portrait"/>` +
    `<w:pgMar w:top="${m.top}" w:right="${m.right}" w:bottom="${m.bottom}" w:left="${m.left}" w:header="${m.header}" w:footer="${m.footer}" w:gutter="0"/>` +
    (o.startAt !== undefined ? `<w:pgNumType w:start="${o.startAt}"/>` : "") +
    `<w:docGrid w:linePitch="360"/></w:sectPr>`
  );
}

/**
 * Ends a section after `paragraphs`: its properties go in its last paragraph's, or, when it ends in
 * something else (a table of contents), in an empty paragraph after it.
 */
export function endSection(paragraphs: string[], sectPr: string): void {
  const last = paragraphs.at(-1);
  const at = last?.startsWith("<w:p>") ? last.indexOf("</w:pPr>") : -1;
  if (last !== undefined && at >= 0) paragraphs[paragraphs.length - 1] = last.slice(0, at) + sectPr + last.slice(at);
  else paragraphs.push(`<w:p><w:pPr>${sectPr}</w:pPr></w:p>`);
}

// ---------------------------------------------------------------------------------------------------
// Styles, settings and document properties

export interface StyleDef {
  id: string;
  name: string;
  type?: "paragraph" | "character";
  isDefault?: boolean;
  basedOn?: string;
  next?: string;
  uiPriority?: number;
  hidden?: boolean;
  pPr?: ParagraphProps;
  rPr?: RunProps;
}

export function stylesXml(defaults: { font: string; halfPoints: number; lang: string; line: number }, styles: StyleDef[]): string {
  const font = escapeAttr(defaults.font);
  const lang = escapeAttr(defaults.lang);
  const docDefaults =
    `<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="${font}" w:hAnsi="${font}" w:cs="${font}"/>` +
    `<w:sz w:val="${defaults.halfPoints}"/><w:szCs w:val="${defaults.halfPoints}"/><w:lang w:val="${lang}"/></w:rPr></w:rPrDefault>` +
    `<w:pPrDefault><w:pPr><w:spacing w:after="0" w:line="${defaults.line}" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults>`;
  return `${XML_DECLARATION}<w:styles xmlns:w="${W_NS}">${docDefaults}${styles.map(styleXml).join("")}</w:styles>`;
}

/** One style, its elements in the order the schema (CT_Style, CT_PPr, CT_RPr) requires. */
function styleXml(s: StyleDef): string {
  const type = s.type ?? "paragraph";
  let xml = `<w:style w:type="${type}"${s.isDefault ? ` w:default="1"` : ""} w:styleId="${s.id}"><w:name w:val="${escapeAttr(s.name)}"/>`;
  if (s.basedOn) xml += `<w:basedOn w:val="${s.basedOn}"/>`;
  if (s.next) xml += `<w:next w:val="${s.next}"/>`;
  if (s.uiPriority !== undefined) xml += `<w:uiPriority w:val="${s.uiPriority}"/>`;
  if (s.hidden) xml += `<w:semiHidden/><w:unhideWhenUsed/>`;
  if (!s.hidden && s.uiPriority === undefined) xml += `<w:qFormat/>`;
  if (s.pPr) xml += pPrXml(s.pPr);
  if (s.rPr) xml += rPrXml(s.rPr);
  return `${xml}</w:style>`;
}

/** Elements in the order the schema (CT_Settings) requires. */
export function settingsXml(o: { lang: string; mirrorMargins: boolean; hyphenate: boolean; footnotes: boolean }): string {
  return `${XML_DECLARATION}<w:settings xmlns:w="${W_NS}"><w:zoom w:percent="100"/>${o.mirrorMargins ? "<w:mirrorMargins/>" : ""}\
<w:defaultTabStop w:val="720"/><w:autoHyphenation w:val="${o.hyphenate}"/>${o.hyphenate ? `<w:consecutiveHyphenLimit w:val="2"/>` : ""}\
<w:characterSpacingControl w:val="doNotCompress"/>\
${o.footnotes ? `<w:footnotePr><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>` : ""}\
<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat>\
<w:themeFontLang w:val="${escapeAttr(o.lang)}"/></w:settings>`;
}

export function coreXml(title: string, author: string, lang: string): string {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  return `${XML_DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<dc:title>${escapeAttr(title)}</dc:title>${author ? `<dc:creator>${escapeAttr(author)}</dc:creator>` : ""}<dc:language>${escapeAttr(lang)}</dc:language>\
<dcterms:created xsi:type="dcterms:W3CDTF">${now}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">${now}</dcterms:modified></cp:coreProperties>`;
}

function appXml(): string {
  return `${XML_DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Bookwright</Application></Properties>`;
}

// ---------------------------------------------------------------------------------------------------
// The package

/** The document's relationship ids, fixed so section properties can name their header and footer. */
const REL = { styles: "rId1", settings: "rId2", footnotes: "rId3", header: "rId4", footer: "rId5" } as const;

const CT = "application/vnd.openxmlformats-officedocument.wordprocessingml.";
const RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/";

/** Word's footnotes 0 and -1: the rule above the notes and the one over notes continued from the page before. */
const NOTE_SEPARATORS =
  `<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote>` +
  `<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>`;

/** A picture stored once in the package, as `word/media/<name>`. */
export interface DocxMedia {
  /** The file name, its extension the one its content type is registered under: `image1.png`. */
  name: string;
  contentType: string;
  bytes: Uint8Array;
  /** Its relationship id, the same from every part that shows it. */
  rel: string;
  /** Which parts show it, so each has a relationship to it. */
  inDocument: boolean;
  inFootnotes: boolean;
}

export interface DocxParts {
  /** The body's content: its paragraphs, tables of contents and final section properties. */
  body: string[];
  styles: string;
  settings: string;
  core: string;
  /** `<w:footnote>` elements numbered from 1; none writes no footnotes part. */
  footnotes: string[];
  /** The default header's paragraphs, if any section refers to one (`sectPrXml(…, { header: true })`). */
  header?: string;
  /** The default footer's paragraphs, likewise. */
  footer?: string;
  /** The pictures the document and its footnotes show. */
  media?: DocxMedia[];
}

/** Zips the parts into a .docx, `[Content_Types].xml` first. */
export function packDocx(parts: DocxParts): Uint8Array {
  const ns = `xmlns:w="${W_NS}" xmlns:r="${R_NS}"`;
  /** The parts that may hold pictures declare DrawingML's prefixes too. */
  const drawingNs = `${ns} xmlns:wp="${WP_NS}" xmlns:a="${A_NS}" xmlns:pic="${PIC_NS}"`;
  const media = parts.media ?? [];
  const imageRels = (used: (m: DocxMedia) => boolean): string =>
    media
      .filter(used)
      .map((m) => `<Relationship Id="${m.rel}" Type="${RT}image" Target="media/${m.name}"/>`)
      .join("");
  /** The parts the document refers to, each with its content type and its relationship from the document. */
  const word: { name: string; type: string; rel: string; id: string; text: string }[] = [
    { name: "styles.xml", type: `${CT}styles+xml`, rel: "styles", id: REL.styles, text: parts.styles },
    { name: "settings.xml", type: `${CT}settings+xml`, rel: "settings", id: REL.settings, text: parts.settings },
  ];
  if (parts.footnotes.length > 0) {
    const text = `${XML_DECLARATION}<w:footnotes ${drawingNs}>${NOTE_SEPARATORS}${parts.footnotes.join("")}</w:footnotes>`;
    word.push({ name: "footnotes.xml", type: `${CT}footnotes+xml`, rel: "footnotes", id: REL.footnotes, text });
  }
  if (parts.header !== undefined) word.push({ name: "header1.xml", type: `${CT}header+xml`, rel: "header", id: REL.header, text: `${XML_DECLARATION}<w:hdr ${ns}>${parts.header}</w:hdr>` });
  if (parts.footer !== undefined) word.push({ name: "footer1.xml", type: `${CT}footer+xml`, rel: "footer", id: REL.footer, text: `${XML_DECLARATION}<w:ftr ${ns}>${parts.footer}</w:ftr>` });

  // Pictures are typed by their extension, each extension once.
  const mediaTypes = new Map(media.map((m) => [m.name.slice(m.name.lastIndexOf(".") + 1), m.contentType]));
  const types =
    `${XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
    [...mediaTypes].map(([extension, type]) => `<Default Extension="${extension}" ContentType="${type}"/>`).join("") +
    `<Override PartName="/word/document.xml" ContentType="${CT}document.main+xml"/>` +
    word.map((p) => `<Override PartName="/word/${p.name}" ContentType="${p.type}"/>`).join("") +
    `<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>` +
    `<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>`;
  const relationships = (rels: string): string => `${XML_DECLARATION}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${rels}</Relationships>`;
  const packageRels = relationships(
    `<Relationship Id="rId1" Type="${RT}officeDocument" Target="word/document.xml"/>` +
      `<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>` +
      `<Relationship Id="rId3" Type="${RT}extended-properties" Target="docProps/app.xml"/>`,
  );
  const documentRels = relationships(word.map((p) => `<Relationship Id="${p.id}" Type="${RT}${p.rel}" Target="${p.name}"/>`).join("") + imageRels((m) => m.inDocument));
  const document = `${XML_DECLARATION}<w:document ${drawingNs}><w:body>${parts.body.join("")}</w:body></w:document>`;

  const encoder = new TextEncoder();
  const entry = (name: string, text: string): ZipEntry => ({ name, data: encoder.encode(text) });
  const files: ZipEntry[] = [
    entry("[Content_Types].xml", types),
    entry("_rels/.rels", packageRels),
    entry("docProps/core.xml", parts.core),
    entry("docProps/app.xml", appXml()),
    entry("word/document.xml", document),
    entry("word/_rels/document.xml.rels", documentRels),
  ];
  for (const p of word) files.push(entry(`word/${p.name}`, p.text));
  if (parts.footnotes.length > 0 && media.some((m) => m.inFootnotes)) files.push(entry("word/_rels/footnotes.xml.rels", relationships(imageRels((m) => m.inFootnotes))));
  // Stored, not deflated: JPEG, PNG and GIF are compressed already.
  for (const m of media) files.push({ name: `word/media/${m.name}`, data: m.bytes, store: true });
  return zipFiles(files, new Date());
}
