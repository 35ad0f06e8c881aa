/**
 * Money is an integer number of minor units (cents, fils, yen…) next to an ISO 4217 currency.
 * All arithmetic is exact BigInt math; the only rounding rule is half away from zero (API.md).
 */

/** numerator / denominator rounded half away from zero: 5/2 → 3, -5/2 → -3, 7/3 → 2. */
export function roundDiv(numerator: bigint, denominator: bigint): bigint {
  if (denominator <= 0n) throw new RangeError(`denominator must be positive, got ${denominator}`);
  // BigInt division truncates toward zero and the remainder takes the numerator's sign, so
  // comparing |2·remainder| with the denominator decides the rounding on either side of zero.
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  const twice = (remainder < 0n ? -remainder : remainder) * 2n;
  if (twice < denominator) return quotient;
  return numerator < 0n ? quotient - 1n : quotient + 1n;
}

/** amount × numerator / denominator, rounded half away from zero to the minor unit. */
export function prorate(amount: bigint, numerator: bigint, denominator: bigint): bigint {
  return roundDiv(amount * numerator, denominator);
}

/** A JSON/DTO number of minor units → bigint; refuses fractions, NaN and unsafe integers. */
export function toMinor(value: number): bigint {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer amount of minor units: ${value}`);
  return BigInt(value);
}

/** bigint minor units → number for JSON; refuses values a number cannot hold exactly. */
export function fromMinor(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`amount ${value} is outside the safe integer range`);
  }
  return Number(value);
}

/**
 * ISO 4217 list one: the alphabetic codes currently in use, including fund codes (BOV, CHE, CHW,
 * CLF, COU, MXV, USN, UYI, UYW) and the X codes (supranational units, precious metals, XTS for
 * testing, XXX for "no currency"). Replaced codes are left out (HRK, CUC, SLL, ZWL, BYR, MRO, STD,
 * VEF…); ANG (→ XCG, 2025) and BGN (→ EUR, 2026) are kept while they are being withdrawn.
 */
export const CURRENCIES: ReadonlySet<string> = new Set(
  (
    'AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD ' +
    'CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL ' +
    'GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD ' +
    'KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO ' +
    'NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD ' +
    'SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV ' +
    'WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX YER ZAR ZMW ZWG'
  ).split(' '),
);

/** True for an ISO 4217 code in CURRENCIES; exact match, so "usd" is not a currency. */
export function isCurrency(code: string): boolean {
  return CURRENCIES.has(code);
}
