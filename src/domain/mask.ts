/**
 * Masking of sensitive field values (IBANs, account numbers) wherever a person reads them: rule
 * messages, decision records, review screens. Only the last 4 characters stay, enough to tell two
 * accounts apart and to match a document by eye, never enough to use the value.
 */

const MASK = '••••';
const KEEP = 4;

/** `DE89370400440532013000` → `••••3000`; a value of 4 characters or fewer becomes `••••`. */
export const maskValue = (value: string | number): string => {
  // Code points, not UTF-16 units, so a value ending in an astral character is not split.
  const chars = Array.from(String(value));
  return chars.length <= KEEP ? MASK : `${MASK}${chars.slice(-KEEP).join('')}`;
};
