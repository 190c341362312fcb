export { setup as default } from './test-services.mjs';
