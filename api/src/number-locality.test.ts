import { describe, expect, it } from 'vitest';
import { areaCodeOf, numberLocality } from './number-locality.ts';

describe('numberLocality', () => {
  it.each([
    // NANP: 3-digit area codes, country by area code.
    ['+14155550123', 'US', '1 415'],
    ['+12125550100', 'US', '1 212'],
    ['+16135550123', 'CA', '1 613'],
    ['+14165550123', 'CA', '1 416'],
    ['+18005551000', 'US', '1 800'],
    // GB: 2- to 4-digit codes, mobiles have one too.
    ['+442079460958', 'GB', '44 20'],
    ['+441614960000', 'GB', '44 161'],
    ['+447700900123', 'GB', '44 7700'],
    // DE: Berlin 30, Munich 89, a mobile 1512.
    ['+493012345678', 'DE', '49 30'],
    ['+498912345678', 'DE', '49 89'],
    ['+4915123456789', 'DE', '49 1512'],
    // FR: one digit (1 Île-de-France, 6 mobile).
    ['+33123456789', 'FR', '33 1'],
    ['+33612345678', 'FR', '33 6'],
    // AU: one-digit geographic codes, 3-digit mobile prefix.
    ['+61212345678', 'AU', '61 2'],
    ['+61312345678', 'AU', '61 3'],
    ['+61412345678', 'AU', '61 412'],
    // AR: a mobile's token 9 is not part of the area; Buenos Aires is 11 for both.
    ['+5491123456789', 'AR', '54 11'],
    ['+541143211234', 'AR', '54 11'],
    // Shared calling code +7: the country from the plan.
    ['+79161234567', 'RU', '7 916'],
    ['+77172123456', 'KZ', '7 7172'],
  ])('%s is in %s, area %s', (number, country, area) => {
    expect(numberLocality(number)).toEqual({ callingCode: area.split(' ')[0], country, area });
  });

  it('gives a non-geographic number no country, and a one-group number no area', () => {
    expect(numberLocality('+8001234567')).toEqual({ callingCode: '800' });
  });

  it('counts a number the plan does not know in its calling code main country', () => {
    // +44 1481 is Guernsey's code, but this number fits no country's plan.
    expect(numberLocality('+441481123456')).toEqual({ callingCode: '44', country: 'GB', area: '44 1481' });
  });

  it('reads the area code back as people write it', () => {
    expect(areaCodeOf('1 415')).toBe('415');
    expect(areaCodeOf('44 20')).toBe('20');
  });

  it('answers the same object for a number read before', () => {
    expect(numberLocality('+14155550199')).toBe(numberLocality('+14155550199'));
  });
});
