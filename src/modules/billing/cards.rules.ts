/** Card-number rules for the mock provider: Luhn check, brand, and the outcome a test card produces. */

export type ChargeOutcomeCode = 'success' | 'card_declined' | 'insufficient_funds';

/** The mock cards of API.md; every other valid number succeeds. */
export const MOCK_CARD_OUTCOMES: Readonly<Record<string, ChargeOutcomeCode>> = {
  '4242424242424242': 'success',
  '4000000000000002': 'card_declined',
  '4000000000009995': 'insufficient_funds',
};

export function luhnValid(number: string): boolean {
  if (!/^\d{12,19}$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function brandOf(number: string): string {
  if (/^4/.test(number)) return 'visa';
  if (/^(5[1-5]|2[2-7])/.test(number)) return 'mastercard';
  if (/^3[47]/.test(number)) return 'amex';
  if (/^6(011|5)/.test(number)) return 'discover';
  return 'unknown';
}

export function outcomeOf(number: string): ChargeOutcomeCode {
  return MOCK_CARD_OUTCOMES[number] ?? 'success';
}

/** True when the card's expiry month has not ended at `now` (UTC). */
export function notExpired(expMonth: number, expYear: number, now: Date): boolean {
  const endOfExpiryMonth = Date.UTC(expYear, expMonth, 1); // first instant after the expiry month
  return now.getTime() < endOfExpiryMonth;
}
