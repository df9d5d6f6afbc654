import { describe, expect, it } from 'vitest';
import { isKeyword, MAX_KEYWORD_LENGTH, normalizeWord, tokenize } from './normalize.js';

describe('normalizeWord', () => {
  it('folds case and accents so "Nordström" ~ "nordstrom"', () => {
    expect(normalizeWord('Nordström')).toBe('nordstrom');
    expect(normalizeWord('NORDSTROM')).toBe('nordstrom');
    expect(normalizeWord('Ångström')).toBe('angstrom');
    expect(normalizeWord('Müller')).toBe('muller');
    expect(normalizeWord('François')).toBe('francois');
    expect(normalizeWord('Dvořák')).toBe('dvorak');
    expect(normalizeWord('Nguyễn')).toBe('nguyen');
  });

  it('spells out letters NFKD does not decompose', () => {
    expect(normalizeWord('Łukasz')).toBe('lukasz');
    expect(normalizeWord('Straße')).toBe('strasse');
    expect(normalizeWord('Søren')).toBe('soren');
    expect(normalizeWord('Ægir')).toBe('aegir');
    expect(normalizeWord('Þór')).toBe('thor');
  });

  it('keeps only [a-z0-9] and folds compatibility forms (NFKD)', () => {
    expect(normalizeWord("O'Brien")).toBe('obrien');
    expect(normalizeWord('ｆｕｌｌｗｉｄｔｈ１２')).toBe('fullwidth12');
    expect(normalizeWord('ﬁona')).toBe('fiona');
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
