import { brandOf, luhnValid, notExpired, outcomeOf } from './cards.rules.js';

describe('cards', () => {
  it('checks numbers with Luhn', () => {
    expect(luhnValid('4242424242424242')).toBe(true);
    expect(luhnValid('4000000000000002')).toBe(true);
    expect(luhnValid('4000000000009995')).toBe(true);
    expect(luhnValid('4242424242424241')).toBe(false);
    expect(luhnValid('42424242')).toBe(false);
    expect(luhnValid('4242-4242-4242-4242')).toBe(false);
  });

  it('knows brands and the outcomes of the mock cards', () => {
    expect(brandOf('4242424242424242')).toBe('visa');
    expect(brandOf('5555555555554444')).toBe('mastercard');
    expect(brandOf('378282246310005')).toBe('amex');
    expect(outcomeOf('4242424242424242')).toBe('success');
    expect(outcomeOf('4000000000000002')).toBe('card_declined');
    expect(outcomeOf('4000000000009995')).toBe('insufficient_funds');
    expect(outcomeOf('5555555555554444')).toBe('success');
  });

  it('treats a card as valid through the last day of its expiry month', () => {
    expect(notExpired(1, 2030, new Date('2030-01-31T23:59:59Z'))).toBe(true);
    expect(notExpired(1, 2030, new Date('2030-02-01T00:00:00Z'))).toBe(false);
    expect(notExpired(12, 2030, new Date('2030-12-31T12:00:00Z'))).toBe(true);
  });
});
