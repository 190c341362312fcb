/**
 * How hard the wallet's passphrase is to guess, by zxcvbn (@zxcvbn-ts with its common and English
 * dictionaries): a score from 0 to 4 and the library's own feedback. The passphrase is all that
 * stands between a copy of this browser's storage and the wallet, so a wallet is only stored under
 * a passphrase that scores at least {@link MIN_PASSPHRASE_SCORE}.
 *
 * The dictionaries are most of the library's weight, so they load on first use (a separate chunk),
 * not with the wallet.
 */
export const MIN_PASSPHRASE_SCORE = 3;

export interface PassphraseStrength {
  score: 0 | 1 | 2 | 3 | 4;
  /** The library's warning, in English ('' when it has none). */
  warning: string;
  suggestions: string[];
}

type Checker = (passphrase: string, userInputs: string[]) => PassphraseStrength;

let checker: Promise<Checker> | undefined;

/** Loads zxcvbn and its dictionaries once; later calls share the same load. */
export function loadStrengthChecker(): Promise<Checker> {
  checker ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')]);
    const zxcvbn = new ZxcvbnFactory({
      translations: en.translations,
      graphs: common.adjacencyGraphs,
      dictionary: { ...common.dictionary, ...en.dictionary },
    });
    return (passphrase, userInputs) => {
      const result = zxcvbn.check(passphrase, userInputs);
      return { score: result.score, warning: result.feedback.warning ?? '', suggestions: result.feedback.suggestions };
    };
  })();
  checker.catch(() => (checker = undefined));
  return checker;
}

// Words that belong to this app make a passphrase easier to guess for whoever attacks it.
const APP_WORDS = ['zkkyc', 'wallet', 'kyc', 'passphrase'];

/** The strength of `passphrase` (loads the checker on first use). */
export async function passphraseStrength(passphrase: string): Promise<PassphraseStrength> {
  return (await loadStrengthChecker())(passphrase, APP_WORDS);
}

/** The refusal for a passphrase below the bar, naming the field and the rule; null when it passes. */
export function strengthRefusal(strength: PassphraseStrength): string | null {
  if (strength.score >= MIN_PASSPHRASE_SCORE) return null;
  const advice = [strength.warning, ...strength.suggestions].filter(Boolean).join(' ');
  return `passphrase: too easy to guess — it scores ${strength.score} of 4 and needs at least ${MIN_PASSPHRASE_SCORE}.${advice ? ` ${advice}` : ''}`;
}

/** Words for the meter. */
export function strengthInWords(score: number): string {
  return ['very weak', 'weak', 'fair', 'strong', 'very strong'][score] ?? '';
}
