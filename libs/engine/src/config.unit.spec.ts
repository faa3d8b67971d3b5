import { ConfigError, loadConfig } from './config';

describe('engine configuration from the environment', () => {
  it('an XML import may be 256 MiB unless LOYALTY_IMPORT_MAX_BYTES says otherwise', () => {
    expect(loadConfig({}).importMaxBytes).toBe(256 * 1024 * 1024);
    expect(loadConfig({ LOYALTY_IMPORT_MAX_BYTES: '1048576' }).importMaxBytes).toBe(1_048_576);
    expect(() => loadConfig({ LOYALTY_IMPORT_MAX_BYTES: '10MB' })).toThrow(ConfigError);
  });
});
