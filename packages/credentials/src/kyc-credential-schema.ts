import schema from './kyc-credential.schema.json' with { type: 'json' };

/** The JSON Schema of a KycCredential, referenced from every VC's `credentialSchema`. */
export const KYC_CREDENTIAL_SCHEMA = schema;

/** The schema's id, as it appears in `credentialSchema.id`. */
export const KYC_CREDENTIAL_SCHEMA_ID = 'urn:zkkyc:schema:kyc-credential:v1';
