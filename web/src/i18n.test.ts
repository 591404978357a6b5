import { afterEach, describe, expect, it, vi } from 'vitest';
import { DICTIONARIES, en, initialLang, LANG_STORAGE_KEY, placeholders, translate, zh, type MessageKey } from './i18n';

describe('dictionaries', () => {
  const enKeys = Object.keys(en).sort();
  const zhKeys = Object.keys(zh).sort();

  it('English and Chinese have exactly the same keys', () => {
    expect(zhKeys).toEqual(enKeys);
    expect(enKeys.length).toBeGreaterThan(50);
  });

  it('no message is empty', () => {
    for (const d of Object.values(DICTIONARIES)) {
      for (const [k, v] of Object.entries(d)) expect(v.trim(), k).not.toBe('');
    }
  });

  it('each message has the same placeholders in both languages', () => {
    for (const k of enKeys as MessageKey[]) {
      expect(placeholders(zh[k]), k).toEqual(placeholders(en[k]));
    }
  });

  it('the Chinese dictionary is actually translated', () => {
    const same = (enKeys as MessageKey[]).filter((k) => en[k] === zh[k] && /[a-z]{4,}/.test(en[k]));
    // Only proper names and language names may stay in English.
    expect(same.sort()).toEqual(['app.name', 'lang.en'].sort());
  });
});

describe('translate', () => {
  it('fills placeholders', () => {
    expect(translate('en', 'scan.title', { id: 42 })).toBe('Scan #42');
    expect(translate('zh', 'scan.title', { id: 42 })).toBe('扫描 #42');
    expect(translate('en', 'pager.range', { from: 1, to: 50, total: '1,000' })).toBe('1–50 of 1,000');
  });

  it('leaves unknown placeholders visible', () => {
    expect(translate('en', 'scan.title')).toBe('Scan #{id}');
  });
});

describe('initialLang', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('prefers the remembered language', () => {
    window.localStorage.setItem(LANG_STORAGE_KEY, 'zh');
    expect(initialLang()).toBe('zh');
    window.localStorage.setItem(LANG_STORAGE_KEY, 'en');
    expect(initialLang()).toBe('en');
  });

  it('falls back to the browser language', () => {
    vi.stubGlobal('navigator', { language: 'zh-TW', languages: ['zh-TW', 'en'] });
    expect(initialLang()).toBe('zh');
    vi.stubGlobal('navigator', { language: 'de-DE', languages: ['de-DE', 'en-US'] });
    expect(initialLang()).toBe('en');
    vi.stubGlobal('navigator', { language: 'fr-FR', languages: [] });
    expect(initialLang()).toBe('en');
  });

  it('ignores a bad stored value', () => {
    window.localStorage.setItem(LANG_STORAGE_KEY, 'xx');
    vi.stubGlobal('navigator', { language: 'zh-CN', languages: ['zh-CN'] });
    expect(initialLang()).toBe('zh');
  });
});
