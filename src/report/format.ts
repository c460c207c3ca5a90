/**
 * A number as a chart or table shows it: at most 4 significant digits, no float noise
 * (`0.0001`, not `0.00009999999999999999`), exponent form only below 1e-4 or from 1e6 on.
 *
 * @example
 * readableNumber(0.00009999999999999999) // "0.0001"
 * readableNumber(123456.7) // "123500"
 */
export function readableNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const rounded = Number(value.toPrecision(4));
  const magnitude = Math.abs(rounded);
  if (magnitude < 1e-4 || magnitude >= 1e6) {
    const [mantissa, exponent] = rounded.toExponential(3).split('e');
    return `${Number(mantissa)}e${exponent!.replace('+', '')}`;
  }
  return String(rounded);
}

/** Escapes text for HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
