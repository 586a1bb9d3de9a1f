// Numbers and times for people: 1.2k/min, 3.4M, ×2.5, local clock times.

function trim(n: number, digits: number): string {
  return n.toFixed(digits).replace(/\.0+$/, '').replace(/(\.\d*?)0+$/, '$1');
}

/** 0.25 · 7 · 12.5 · 950 · 1.2k · 34k · 1.2M · 3.4B */
export function human(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a >= 1e9) return `${trim(n / 1e9, a >= 1e10 ? 0 : 1)}B`;
  if (a >= 1e6) return `${trim(n / 1e6, a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `${trim(n / 1e3, a >= 1e4 ? 0 : 1)}k`;
  if (a >= 100 || Number.isInteger(n)) return String(Math.round(n));
  if (a >= 10) return trim(n, 1);
  return trim(n, 2);
}

export const perMinute = (n: number | null | undefined): string => `${human(n)}/min`;

/** Exact counts with thousands separators, for tables where the digits matter. */
export const count = (n: number): string => n.toLocaleString('en-US');

export function ratio(r: number | null | undefined): string {
  if (r === null || r === undefined) return 'new';
  return `×${human(r)}`;
}

export function signed(n: number): string {
  return n > 0 ? `+${human(n)}` : n < 0 ? `−${human(-n)}` : '0';
}

export function percent(share: number): string {
  return `${trim(share * 100, share < 0.1 ? 1 : 0)} %`;
}

export function clock(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function dateTime(iso: string | Date): string {
  const d = typeof iso === 'string' ? new Date(iso) : iso;
  return d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** "2026-12-06T08:00" in local time, what <input type="datetime-local"> shows. */
export function toLocalInput(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
