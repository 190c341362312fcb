export { teardown as default } from './test-services.mjs';
