import { hashSecret, randomSecret, verifySecret } from './secrets';

describe('client secret hashing (scrypt)', () => {
  it('verifies the secret a hash was made from', async () => {
    const hash = await hashSecret('correct horse battery staple');
    await expect(verifySecret('correct horse battery staple', hash)).resolves.toBe(true);
  });

  it('refuses any other secret', async () => {
    const hash = await hashSecret('correct horse battery staple');
    await expect(verifySecret('correct horse battery stapler', hash)).resolves.toBe(false);
    await expect(verifySecret('', hash)).resolves.toBe(false);
  });

  it('salts every hash, so equal secrets never share a stored value', async () => {
    const [first, second] = await Promise.all([hashSecret('same secret value'), hashSecret('same secret value')]);
    expect(first).not.toBe(second);
    expect(first.startsWith('scrypt$16384$8$1$')).toBe(true);
  });

  it('keeps the cost parameters in the hash, so old hashes verify after the default changes', async () => {
    const cheap = await hashSecret('legacy secret value', { N: 1024, r: 8, p: 1 });
    expect(cheap.startsWith('scrypt$1024$8$1$')).toBe(true);
    await expect(verifySecret('legacy secret value', cheap)).resolves.toBe(true);
  });

  it('answers false, not an exception, for malformed or absurd stored hashes', async () => {
    await expect(verifySecret('x', 'plain-text-secret')).resolves.toBe(false);
    await expect(verifySecret('x', 'scrypt$16384$8$1$$')).resolves.toBe(false);
    await expect(verifySecret('x', `scrypt$${2 ** 30}$8$1$c2FsdA$${'A'.repeat(43)}`)).resolves.toBe(false);
    await expect(verifySecret('x', 'bcrypt$10$abc$def$ghi$jkl')).resolves.toBe(false);
  });

  it('mints secrets with 256 random bits that are safe in URLs and Basic headers', () => {
    const secret = randomSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomSecret()).not.toBe(secret);
  });
});
