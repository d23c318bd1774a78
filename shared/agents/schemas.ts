/**
 * What each agent must return, as zod schemas: the single source of the JSON schemas sent to the model
 * (z.toJSONSchema) and of the validation of every reply. Field descriptions are part of the prompt the
 * model sees, so they are written for the model as much as for us.
 */
import * as z from "zod";

export const FINDING_CATEGORIES = ["character", "timeline", "setting", "object", "knowledge", "style"] as const;

export const briefSchema = z.object({
  title: z.string().min(1).optional().describe("A short title for the chapter (two to five words), unless the outline gives one."),
  goal: z.string().min(1).describe("What this chapter must achieve for the story, in one or two sentences."),
  pov: z.string().min(1).describe("Whose point of view, as in the story bible."),
  setting: z.string().min(1).describe("Where and when the chapter takes place (story time)."),
  charactersPresent: z.array(z.string().min(1)).describe("Names of the characters who appear, exactly as in the codex."),
  beats: z
    .array(
      z.object({
        summary: z.string().min(1).describe("What happens in this beat."),
        characters: z.array(z.string()).describe("Who is in this beat."),
        factsChanged: z.array(z.string()).describe("Facts about the world or a character that become true in this beat (deaths, moves, revelations, who learns what)."),
      }),
    )
    .min(1)
    .describe("The scenes or beats in order."),
  endingHook: z.string().min(1).describe("How the chapter ends so the reader turns the page; never a summary."),
  targetWords: z.number().int().positive().describe("Length to aim for."),
});

export const findingSchema = z.object({
  severity: z.enum(["info", "warning", "error"]),
  category: z.enum(FINDING_CATEGORIES).describe("character, timeline, setting (and world rules), object (physical state), knowledge (who knows what), or style."),
  quote: z.string().min(1).describe("The exact passage from this chapter, copied verbatim, short."),
  where: z.string().describe("Where in the chapter: the scene or the paragraph's first words."),
  why: z.string().min(1).describe("Why it conflicts: quote the earlier fact and name its chapter."),
  earlierFact: z
    .object({
      quote: z.string(),
      chapter: z.number().int().nonnegative(),
      // Optional, so reports saved before series existed still parse, and a standalone book never sets them.
      book: z
        .number()
        .int()
        .positive()
        .optional()
        .describe("Only for a fact from an earlier book of the series (labelled 'book N, chapter M' in the context): N. Leave out for this book's chapters."),
      bookTitle: z.string().optional().describe("That earlier book's title, when book is set."),
    })
    .optional()
    .describe("The earlier fact this contradicts, quoted, and the chapter it comes from (and its book, when it comes from an earlier book of the series)."),
  suggestedFix: z.string().describe("A concrete change the writer could make."),
});

export const continuityReportSchema = z.object({
  overall: z.enum(["pass", "warning", "fail"]).describe("fail if any error-level finding, warning if any warning, else pass."),
  findings: z.array(findingSchema),
  summary: z.string().min(1).describe("A summary of this chapter (about 150 words) for later chapters' context: events, who learned what, where everyone ends up."),
});

export const timelineSchema = z.object({
  events: z.array(
    z.object({
      when: z.string().min(1).describe("Story time, as precise as the text allows (e.g. 'Day 3, evening', '1 November 1893')."),
      what: z.string().min(1),
      who: z.array(z.string()),
      order: z.number().int().nonnegative().describe("Position of the event in story order within this chapter, from 0."),
    }),
  ),
});

export const charactersSchema = z.object({
  newCharacters: z.array(
    z.object({ name: z.string().min(1), aliases: z.array(z.string()), role: z.string(), description: z.string() }),
  ).describe("Characters who appear for the first time and are not in the codex."),
  appearances: z.array(
    z.object({ name: z.string().min(1), role: z.string().describe("Their part in this chapter."), emotionalState: z.string() }),
  ),
  changes: z.array(
    z.object({
      name: z.string().min(1),
      kind: z.enum(["trait", "arc", "status", "location", "knowledge"]).describe("status: alive, dead, missing…; knowledge: something they learn."),
      value: z.string().min(1),
    }),
  ).describe("Facts about a character that become true in this chapter."),
  relationships: z.array(z.object({ from: z.string().min(1), to: z.string().min(1), kind: z.string().min(1) })),
});

export type Brief = z.infer<typeof briefSchema>;
export type Finding = z.infer<typeof findingSchema>;
export type ContinuityReport = z.infer<typeof continuityReportSchema>;
export type TimelineExtraction = z.infer<typeof timelineSchema>;
export type CharactersExtraction = z.infer<typeof charactersSchema>;
