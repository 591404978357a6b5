import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ShoalClient } from './api';
import { I18nProvider } from './i18n';
import { ScanProvider, useScan } from './scan';
import { FakeEventSource } from './test/FakeEventSource';
import { json, mockApi, scan } from './test/fixtures';

function Probe() {
  const { scan: s, mode, dataVersion, start, dismiss } = useScan();
  return (
    <div>
      <button onClick={() => void start()}>start</button>
      <button onClick={dismiss}>dismiss</button>
      <span data-testid="state">{s?.state ?? 'none'}</span>
      <span data-testid="mode">{mode}</span>
      <span data-testid="version">{dataVersion}</span>
    </div>
  );
}

function mount(props: { watchdogMs?: number; pollMs?: number } = {}) {
  render(
    <I18nProvider lang="en">
      <ScanProvider client={new ShoalClient()} detectActive={false} {...props}>
        <Probe />
      </ScanProvider>
    </I18nProvider>,
  );
}

describe('ScanProvider', () => {
  beforeEach(() => {
    FakeEventSource.instances = [];
    vi.stubGlobal('EventSource', FakeEventSource);
  });

  it('checks the scan itself when the stream stays silent', async () => {
    let state: 'running' | 'succeeded' = 'running';
    const api = mockApi({
      'POST /scans': () => json(scan({ id: 4, state: 'queued' }), 202),
      'GET /scans/4': () => json(scan({ id: 4, state })),
    });
    mount({ watchdogMs: 60 });
    fireEvent.click(screen.getByText('start'));
    await waitFor(() => expect(screen.getByTestId('mode').textContent).toBe('stream'));
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('running'));
    expect(FakeEventSource.instances[0]!.closed).toBe(false);
    state = 'succeeded';
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('succeeded'));
    expect(screen.getByTestId('mode').textContent).toBe('idle');
    expect(screen.getByTestId('version').textContent).toBe('1');
    expect(FakeEventSource.instances[0]!.closed).toBe(true);
    expect(api.requests('GET', '/scans/4').length).toBeGreaterThanOrEqual(2);
  });

  it('polls without EventSource and ignores events of a scan it stopped following', async () => {
    vi.stubGlobal('EventSource', undefined);
    let n = 0;
    mockApi({
      'POST /scans': () => json(scan({ id: 5, state: 'queued' }), 202),
      'GET /scans/5': () => json(scan({ id: 5, state: ++n >= 3 ? 'cancelled' : 'running' })),
    });
    mount({ pollMs: 20 });
    fireEvent.click(screen.getByText('start'));
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('cancelled'));
    expect(n).toBe(3);
    expect(screen.getByTestId('version').textContent).toBe('1');
    await act(async () => {
      await new Promise((r) => setTimeout(r, 60));
    });
    expect(n).toBe(3); // polling stopped at the final state
    fireEvent.click(screen.getByText('dismiss'));
    expect(screen.getByTestId('state').textContent).toBe('none');
  });

  it('treats a done event without a final scan as a reason to ask', async () => {
    mockApi({
      'POST /scans': () => json(scan({ id: 6, state: 'queued' }), 202),
      'GET /scans/6': () => json(scan({ id: 6, state: 'succeeded' })),
    });
    mount({ pollMs: 20 });
    fireEvent.click(screen.getByText('start'));
    await waitFor(() => expect(FakeEventSource.instances).toHaveLength(1));
    FakeEventSource.instances[0]!.emit('done', 'garbage');
    await waitFor(() => expect(screen.getByTestId('state').textContent).toBe('succeeded'));
  });
});
