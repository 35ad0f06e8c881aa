import { ESTIMATED_LENGTH, passwordWeakness } from './password-policy.rules.js';

const ada = { email: 'ada.lovelace@example.com', name: 'Ada Lovelace' };

describe('password policy', () => {
  it.each([
    ['1234567890', 'too common'],
    ['          ', 'only spaces'],
    ['password123', 'too common'],
    ['qwertyuiop', 'too common'],
    ['iloveyou12', 'too common'],
    ['aaaaaaaaaaaa', 'too common'],
    ['ada.lovelace@example.com', 'email'],
    ['my-ada.lovelace@example.com!', 'email'],
    ['ada.lovelace2026', 'too common'],
    ['ADA LOVELACE rules the world', 'name'],
    ['xx-adalovelace-xx-7', 'name'],
  ])('refuses %j (%s)', (password, reason) => {
    expect(passwordWeakness(password, ada)).toContain(reason === 'too common' ? 'too common' : reason);
  });

  it.each(['correct-horse-battery', 'demo-password-123', 'admin-password-123', 'new-password-456', 'a-fresh-passphrase-77'])(
    'accepts %j',
    (password) => {
      expect(passwordWeakness(password, ada)).toBeNull();
    },
  );

  it('does not refuse a long passphrase for containing a short name or the email local part', () => {
    expect(passwordWeakness('the-bo-of-correct-horse', { email: 'bo@x.test', name: 'Bo' })).toBeNull();
    expect(passwordWeakness('admin-password-123', { email: 'admin@eshtarek.test', name: 'Platform admin' })).toBeNull();
  });

  // Bounded work without a timed test: what follows the estimated start cannot change the answer.
  it('estimates only the start of a long password', () => {
    const weakStart = 'password'.repeat(ESTIMATED_LENGTH / 8);
    const strongStart = 'Tq7#vL2!pX9@mR4$'.repeat(ESTIMATED_LENGTH / 16);
    expect(passwordWeakness(weakStart + 'Zk8^wN3&bY6*cJ1%'.repeat(200), ada)).not.toBeNull();
    expect(passwordWeakness(strongStart + 'a'.repeat(10_000), ada)).toBeNull();
  });
});
