import { useEffect, useState } from 'react';
import { useDebounced } from '../hooks';

export const SEARCH_DEBOUNCE_MS = 300;

export interface SearchBoxProps {
  value: string;
  onSearch: (v: string) => void;
  placeholder: string;
  label: string;
  testId?: string;
}

/** A search input that reports its value after typing pauses, and follows outside changes (back button). */
export function SearchBox({ value, onSearch, placeholder, label, testId = 'search' }: SearchBoxProps) {
  const [text, setText] = useState(value);
  const debounced = useDebounced(text, SEARCH_DEBOUNCE_MS);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (debounced !== value) onSearch(debounced);
    // Only a settled change of the text triggers a search.
  }, [debounced]);
  return (
    <label className="search">
      <span className="visually-hidden">{label}</span>
      <svg viewBox="0 0 20 20" aria-hidden="true" className="search-icon">
        <circle cx="8.5" cy="8.5" r="5.5" fill="none" stroke="currentColor" strokeWidth="2" />
        <path d="M13 13l4.5 4.5" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      </svg>
      <input
        type="search"
        value={text}
        maxLength={256}
        placeholder={placeholder}
        aria-label={label}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') onSearch(text);
        }}
        data-testid={testId}
      />
    </label>
  );
}
