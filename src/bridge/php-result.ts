import type { PhpResultData } from '../protocol/bridge';
import type { PhpResult } from '../platform/site-client';

/** Flattens the page's `PHPResponse` (a class with getters) to data a MessagePort can carry. */
export function toPhpResultData(response: PhpResult): PhpResultData {
  return {
    bytes: response.bytes,
    errors: response.errors,
    exitCode: response.exitCode,
    httpStatusCode: response.httpStatusCode,
    headers: response.headers,
  };
}

export function fromPhpResultData(data: PhpResultData): PhpResult {
  return {
    ...data,
    get text() {
      return new TextDecoder().decode(data.bytes);
    },
  };
}
