// The symbols a keyword key encodes, in the order keys must preserve: the end of a word sorts before
// every character ("ann" < "anna"), digits before letters, as JavaScript compares [a-z0-9] strings.

export const END_OF_WORD = 0;
export const SYMBOL_COUNT = 37;
/** Context of the first character of a word (bigram tables: row 0 = start, row s = after symbol s). */
export const START_OF_WORD = 0;

const DIGIT_0 = '0'.charCodeAt(0);
const LETTER_A = 'a'.charCodeAt(0);

/** Symbol index of one [a-z0-9] character: 1..10 digits, 11..36 letters. */
export function symbolOf(char: string): number {
  const code = char.charCodeAt(0);
  return code >= LETTER_A ? 11 + code - LETTER_A : 1 + code - DIGIT_0;
}

/** The character (or '' for END_OF_WORD) of a symbol index. */
export function charOf(symbol: number): string {
  if (symbol === END_OF_WORD) return '';
  return String.fromCharCode(symbol >= 11 ? LETTER_A + symbol - 11 : DIGIT_0 + symbol - 1);
}
