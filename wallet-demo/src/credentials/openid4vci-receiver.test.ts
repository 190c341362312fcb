import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OfferReceiveError, parseCredentialOffer } from './openid4vci-receiver.js';

/**
 * Reading a credential offer, by value and by reference: what the wallet keeps from a good one, and
 * how an issuer's refusal reaches the holder (OAuth's `error` as the code when it is a string, the
 * HTTP status otherwise; `error_description`, or a service error's `message`, as the words).
 */
const PRE_AUTHORIZED = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';
const offer = {
  credential_issuer: 'https://issuer.example',
  credential_configuration_ids: ['KycCredential'],
  grants: { [PRE_AUTHORIZED]: { 'pre-authorized_code': 'code-1', tx_code: { length: 6 } } },
};

let server: Server;
let base: string;
const answers = new Map<string, { status: number; body: unknown }>();
beforeAll(async () => {
  server = createServer((req, res) => {
    const answer = answers.get(req.url ?? '') ?? { status: 404, body: null };
    res.statusCode = answer.status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((ok) => server.close(ok)));

const byReference = (path: string) => `openid-credential-offer://?credential_offer_uri=${encodeURIComponent(base + path)}`;

async function refusal(text: string): Promise<OfferReceiveError> {
  const error = await parseCredentialOffer(text).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OfferReceiveError);
  return error as OfferReceiveError;
}

describe('parseCredentialOffer', () => {
  it('keeps the issuer, the configuration, the code and the transaction code length from an offer by value', async () => {
    const parsed = await parseCredentialOffer(`openid-credential-offer://?credential_offer=${encodeURIComponent(JSON.stringify(offer))}`);
    expect(parsed).toEqual({ credentialIssuer: 'https://issuer.example', configurationId: 'KycCredential', preAuthorizedCode: 'code-1', txCodeLength: 6 });
  });

  it('fetches an offer by reference', async () => {
    answers.set('/offer/good', { status: 200, body: offer });
    expect(await parseCredentialOffer(byReference('/offer/good'))).toMatchObject({ credentialIssuer: 'https://issuer.example', preAuthorizedCode: 'code-1' });
  });

  it("passes an issuer's OAuth refusal on with its code and description", async () => {
    answers.set('/offer/expired', { status: 400, body: { error: 'invalid_grant', error_description: 'the offer has expired' } });
    const error = await refusal(byReference('/offer/expired'));
    expect({ step: error.step, code: error.code, message: error.message }).toEqual({ step: 'offer', code: 'invalid_grant', message: 'offer: the offer has expired' });
  });

  it("names a service error (an object under `error`) by the HTTP status, with the service's message", async () => {
    answers.set('/offer/broken', { status: 503, body: { error: { code: 'unavailable', message: 'the issuer is restarting' } } });
    const error = await refusal(byReference('/offer/broken'));
    expect({ code: error.code, message: error.message }).toEqual({ code: 'http_503', message: 'offer: the issuer is restarting' });
  });

  it('refuses a missing offer (404) and a text that is not an offer', async () => {
    expect((await refusal(byReference('/offer/missing'))).code).toBe('http_404');
    expect(await refusal('https://example.com/not-an-offer')).toMatchObject({ step: 'offer', code: 'invalid_offer' });
    const noCode = { ...offer, grants: {} };
    expect(await refusal(`openid-credential-offer://?credential_offer=${encodeURIComponent(JSON.stringify(noCode))}`)).toMatchObject({ code: 'invalid_offer' });
  });
});
