import schema from './kyc-credential.schema.json' with { type: 'json' };
import schemaV2 from './kyc-credential-v2.schema.json' with { type: 'json' };

/** The JSON Schema of a KycCredential, referenced from every VC's `credentialSchema`. */
export const KYC_CREDENTIAL_SCHEMA = schema;

/** The schema's id, as it appears in `credentialSchema.id`. */
export const KYC_CREDENTIAL_SCHEMA_ID = 'urn:zkkyc:schema:kyc-credential:v1';

/**
 * The JSON Schema of a VC Data Model 2.0 KycCredential. The issuer serves it over HTTP and the
 * credential's `credentialSchema.id` is that URL (`/schemas/kyc-credential-v2.json`).
 */
export const KYC_CREDENTIAL_SCHEMA_V2 = schemaV2;
