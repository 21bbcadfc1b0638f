/** keyrot for API consumers: read your API key from its secret, and call the API through rotations. */
export {
  ApiKeyProvider,
  ApiKeyUnavailableError,
  type ApiKeyProviderOptions,
  type SecretReader,
  type Stage,
} from './api-key-provider.js';
export { keyrotFetch, type KeyrotFetchOptions } from './fetch.js';
