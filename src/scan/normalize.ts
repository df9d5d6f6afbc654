// Words as SCAN compares them: "Nordström", "NORDSTROM" and "nordstrom" are one keyword.
//
// docs/DESIGN.md: lower case, Unicode NFKD, combining marks stripped, then only [a-z0-9] kept. NFKD does
// not decompose a few Latin letters that are letters of their own (ß, æ, ø, ł, ...); without the fold
// table "Łukasz" would become "ukasz", so they are spelled out first. Scripts with no Latin reading
// (Cyrillic, CJK, ...) normalise to nothing and give no keyword: transliteration is out of scope.

/** A normalised word: non-empty, [a-z0-9] only. Produced by normalizeWord/tokenize. */
export type Keyword = string & { readonly __keyword: unique symbol };

/** Longest keyword kept; longer words are cut (keys only encode a bounded prefix anyway). */
export const MAX_KEYWORD_LENGTH = 32;

const LETTER_FOLDS: Readonly<Record<string, string>> = {
  ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', ł: 'l', þ: 'th', ı: 'i', ŋ: 'n', ħ: 'h', ŧ: 't',
};
const FOLDABLE = new RegExp(`[${Object.keys(LETTER_FOLDS).join('')}]`, 'g');
const COMBINING_MARKS = /\p{M}/gu;
const NOT_KEYWORD_CHAR = /[^a-z0-9]/g;
/** Separators between words of one field. Apostrophes are not: "O'Brien" is one word. */
const WORD_SEPARATORS = /[\s\-_.,;:@/+&()|]+/u;
const KEYWORD = /^[a-z0-9]+$/;

export function isKeyword(value: unknown): value is Keyword {
  return typeof value === 'string' && value.length <= MAX_KEYWORD_LENGTH && KEYWORD.test(value);
}

/** The keyword of one word, or undefined when nothing of it survives normalisation. */
export function normalizeWord(text: string): Keyword | undefined {
  const folded = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(COMBINING_MARKS, '')
    .replace(FOLDABLE, (letter) => LETTER_FOLDS[letter])
    .replace(NOT_KEYWORD_CHAR, '')
    .slice(0, MAX_KEYWORD_LENGTH);
  return folded.length > 0 ? (folded as Keyword) : undefined;
}

/** The keywords of a free-text field ("Jean-Luc  Picard" -> jean, luc, picard), in order, deduplicated. */
export function tokenize(text: string): Keyword[] {
  const words: Keyword[] = [];
  for (const part of text.split(WORD_SEPARATORS)) {
    const word = normalizeWord(part);
    if (word !== undefined && !words.includes(word)) words.push(word);
  }
  return words;
}
