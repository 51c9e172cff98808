import {
  ConfigError,
  errorResponse,
  FactoryError,
  FileRejectedError,
  NotFoundError,
  PayloadTooLargeError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../../lambda/core/errors';
import { PreprocessError } from '../../../lambda/core/preprocess-error';

describe('typed errors', () => {
  it.each([
    [new ValidationError('bad'), 'validation_failed', 400, 'ValidationError'],
    [new PayloadTooLargeError('big', 10, 5), 'payload_too_large', 413, 'PayloadTooLargeError'],
    [new UnsupportedMediaTypeError('xml'), 'unsupported_media_type', 415, 'UnsupportedMediaTypeError'],
    [new NotFoundError('none'), 'not_found', 404, 'NotFoundError'],
    [new ServiceUnavailableError('later'), 'service_unavailable', 503, 'ServiceUnavailableError'],
    [new ConfigError('X', 'X is not set'), 'config_invalid', 500, 'ConfigError'],
    [new FileRejectedError('too_large', 'big'), 'file_rejected', 422, 'FileRejectedError'],
  ])('%s has code %s and status %d', (error, code, status, name) => {
    expect(error).toBeInstanceOf(FactoryError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code, status, name });
  });

  it('wraps the core PreprocessError keeping its code as the reason', () => {
    const core = new PreprocessError('missing_column', 'no "quality" column');
    const rejected = FileRejectedError.fromPreprocessError(core);
    expect(rejected).toMatchObject({ code: 'file_rejected', reason: 'missing_column', status: 422 });
    expect(rejected.cause).toBe(core);
    expect(JSON.parse(JSON.stringify(rejected))).toEqual({
      code: 'file_rejected',
      reason: 'missing_column',
      message: core.message,
    });
  });

  it('serialises to code and message only, never a stack', () => {
    expect(JSON.parse(JSON.stringify(new ValidationError('bad field')))).toEqual({
      code: 'validation_failed',
      message: 'bad field',
    });
  });
});

describe('errorResponse', () => {
  it('answers a typed error with its status, code and message', () => {
    expect(errorResponse(new PayloadTooLargeError('body over 1 MiB'))).toEqual({
      status: 413,
      code: 'payload_too_large',
      message: 'body over 1 MiB',
    });
  });

  it('answers a core PreprocessError as a 422 file rejection', () => {
    expect(errorResponse(new PreprocessError('nul_byte', 'binary'))).toMatchObject({
      status: 422,
      code: 'file_rejected',
    });
  });

  it('hides anything else behind an opaque 500', () => {
    expect(errorResponse(new TypeError('x is undefined at /var/task/index.js:1'))).toEqual({
      status: 500,
      code: 'internal_error',
      message: 'internal error',
    });
  });
});
