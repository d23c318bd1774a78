/**
 * Very common English words: articles, pronouns, prepositions, conjunctions, auxiliaries and the
 * commonest adverbs and verbs. A repeated run made only of these ("as soon as she had been") is the
 * grammar of English, not a habit of the writer, so the n-gram check ignores it; the name check uses the
 * list to tell a sentence-initial "Will" (the verb) from a name. Lower case, straight apostrophes.
 */
export const COMMON_WORDS: ReadonlySet<string> = new Set(
  `a about above after again against all almost along already also although always am among an and another any anyone
  anything are around as at away back be became because become been before being below between both but by came can
  cannot can't come could couldn't did didn't do does doesn't doing done don't down during each either else enough even
  ever every everything few first for from further get got had hadn't has hasn't have haven't having he he'd he'll her
  here hers herself he's him himself his how however i i'd if i'll i'm in indeed into is isn't it its it's itself i've
  just last least less let like little made make many may me might mine more most much must my myself neither never
  next no nor not nothing now of off often oh on once one only or other others ought our ours ourselves out over own
  perhaps quite rather really said same say see seemed shall she she'd she'll she's should shouldn't since so some
  something soon still such than that that's the their theirs them themselves then there there's these they they'd
  they'll they're they've thing things this those though through thus till to too took toward towards under until up
  upon us very was wasn't we we'd well we'll went were we're weren't we've what what's when where whether which while
  who whom whose why will with within without won't would wouldn't yes yet you you'd you'll your you're yours yourself
  yourselves you've two three go going gone know knew known think thought time way shall sir madam mr mrs miss ms dear
  upon whilst amongst towards onto anybody somebody nobody everyone someone none each`
    .split(/\s+/)
    .filter((w) => w !== ""),
);

/** Titles and forms of address: part of a name as written, never a name to misspell. */
export const TITLES: ReadonlySet<string> = new Set(
  `mr mrs miss ms mx dr sir lady lord madam madame monsieur mademoiselle captain capt colonel col general gen lieutenant lt
  sergeant sgt major professor prof father mother aunt uncle king queen prince princess duke duchess earl count countess
  baron baroness saint st master mistress reverend rev doctor judge officer inspector detective brother sister`.split(/\s+/),
);
