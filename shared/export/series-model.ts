/**
 * A series as one book model for an omnibus export: every book of the series, in series order, a part
 * of the model with its chapters as the book has them (numbered from 1 in each book). The packers read
 * `model.parts` for the part title pages, the nested contents and the running heads; everything else
 * about the chapters is what a single book's export does, so an omnibus is laid out by the same code.
 */
import type { SeriesInfo } from "../series/series";
import type { VaultFiles } from "../vault/vault-files";
import { buildBookModel, type BookModel, type ModelChapter, type ModelPart } from "./book-model";

export interface SeriesModelOptions {
  /** Curly quotes and apostrophes, en/em dashes and ellipses. @default true */
  smartTypography?: boolean;
  /** Told after each chapter is parsed, counted across the whole series. */
  onChapter?: (done: number, total: number) => void;
}

/**
 * Reads every book of `series` and joins them. What reading the series found wrong (a listed book that is
 * missing, two books with one `series_order`) and what each book's model left out come back in
 * `warnings`, each naming its note or its book: the books that are there are still exported. A book
 * without chapters is left out (a part title page with nothing after it), with a warning.
 */
export async function buildSeriesModel(vault: VaultFiles, series: SeriesInfo, options: SeriesModelOptions = {}): Promise<BookModel> {
  const warnings = series.diagnostics.map((d) => `${d.path}${d.field === undefined ? "" : ` (${d.field})`}: ${d.message}`);
  const total = series.books.reduce((n, b) => n + b.book.chapters.length, 0);
  const chapters: ModelChapter[] = [];
  const parts: ModelPart[] = [];
  let done = 0;
  for (const { book, position } of series.books) {
    const before = done;
    const model = await buildBookModel(vault, book.folder, {
      book,
      chapters: "all",
      smartTypography: options.smartTypography ?? true,
      ...(options.onChapter ? { onChapter: (n: number) => options.onChapter!(before + n, total) } : {}),
    });
    done += book.chapters.length;
    // Chapter numbers restart in every book, so a warning is only useful with the book's name in front.
    for (const warning of model.warnings ?? []) warnings.push(`${model.title}: ${warning}`);
    if (model.chapters.length === 0) {
      warnings.push(`${model.title} (${book.indexPath}) has no chapters, so the series export leaves it out`);
      continue;
    }
    parts.push({ title: model.title, label: `Book ${position}`, ...(model.author ? { author: model.author } : {}), start: chapters.length });
    chapters.push(...model.chapters);
  }
  // One author for the omnibus when the books agree (a book without one does not disagree); otherwise
  // each part names its own, and the omnibus's title page names none.
  const authors = [...new Set(parts.flatMap((p) => (p.author ? [p.author] : [])))];
  const author = authors.length === 1 ? authors[0] : undefined;
  const ownParts = author === undefined ? parts : parts.map(({ author: _, ...part }) => part);
  const language = series.books[0]?.book.meta.language ?? "en";
  return {
    title: series.meta.title,
    ...(author ? { author } : {}),
    language,
    chapters,
    parts: ownParts,
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
