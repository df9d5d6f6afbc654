import { describe, expect, it } from 'vitest';
import { isKeyword, MAX_KEYWORD_LENGTH, normalizeWord, tokenize } from './normalize.js';

/** Each raw word gives its keyword. */
const expectKeywords = (pairs: [string, string][]) => {
  for (const [raw, keyword] of pairs) expect(normalizeWord(raw), raw).toBe(keyword);
};

describe('normalizeWord', () => {
  it('folds case and accents so "Nordström" ~ "nordstrom"', () => {
    expectKeywords([['Nordström', 'nordstrom'], ['NORDSTROM', 'nordstrom'], ['Ångström', 'angstrom'], ['Müller', 'muller'], ['François', 'francois'], ['Dvořák', 'dvorak'], ['Nguyễn', 'nguyen']]);
  });

  it('spells out letters NFKD does not decompose', () => {
    expectKeywords([['Łukasz', 'lukasz'], ['Straße', 'strasse'], ['Søren', 'soren'], ['Ægir', 'aegir'], ['Þór', 'thor']]);
  });

  it('keeps only [a-z0-9] and folds compatibility forms (NFKD)', () => {
    expectKeywords([["O'Brien", 'obrien'], ['ｆｕｌｌｗｉｄｔｈ１２', 'fullwidth12'], ['ﬁona', 'fiona']]);
  });

  it('gives no keyword when nothing survives', () => {
    expect(normalizeWord('李')).toBeUndefined();
    expect(normalizeWord('---')).toBeUndefined();
    expect(normalizeWord('')).toBeUndefined();
  });

  it('cuts overlong words', () => {
    expect(normalizeWord('a'.repeat(100))).toHaveLength(MAX_KEYWORD_LENGTH);
  });
});

describe('tokenize', () => {
  it('splits a field into normalised, deduplicated words', () => {
    expect(tokenize('Jean-Luc  Picard')).toEqual(['jean', 'luc', 'picard']);
    expect(tokenize('Anna anna ANNA')).toEqual(['anna']);
    expect(tokenize('São Paulo')).toEqual(['sao', 'paulo']);
    expect(tokenize('  ')).toEqual([]);
  });

  it('produces only valid keywords', () => {
    for (const word of tokenize('Zoë Ødegård-Ñúñez 42 «quoted»')) expect(isKeyword(word)).toBe(true);
  });
});
