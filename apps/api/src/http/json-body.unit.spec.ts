import { stripJsonComments, underPrefixes } from './json-body';

const parsed = (text: string): unknown => JSON.parse(stripJsonComments(text));

describe('JSON with comments, as Postman collections send it', () => {
  it('drops line comments after values and on their own lines, keeping the line breaks', () => {
    const text = '{\n    "customerNumber": "10382",      // Customer number\n    // a whole line\n    "points": 5 // last\n}';
    expect(parsed(text)).toEqual({ customerNumber: '10382', points: 5 });
    expect(stripJsonComments(text).split('\n')).toHaveLength(text.split('\n').length);
  });

  it('keeps // inside strings: URLs, escaped quotes before it, a string ending in a backslash', () => {
    expect(parsed('{"url": "https://shop.example/a//b"} // c')).toEqual({ url: 'https://shop.example/a//b' });
    expect(parsed('{"text": "say \\"hi // there\\" // still text"} // comment')).toEqual({ text: 'say "hi // there" // still text' });
    expect(parsed('{"path": "C:\\\\", "next": "//x"} // comment')).toEqual({ path: 'C:\\', next: '//x' });
    expect(parsed('{"block": "/* not a comment */"}')).toEqual({ block: '/* not a comment */' });
  });

  it('drops block comments, which Postman strips too; a block comment separates tokens like a space', () => {
    expect(parsed('{/* lead */"points": /* inline */ -5 /* multi\nline */}')).toEqual({ points: -5 });
    expect(() => parsed('[1/**/2]')).toThrow(SyntaxError);
  });

  it('leaves what is not a comment for the parser to refuse: an unterminated block, a lone slash', () => {
    expect(() => parsed('{"points": 5 /* never closed }')).toThrow(SyntaxError);
    expect(() => parsed('{"points": 5 / 2}')).toThrow(SyntaxError);
    // an unterminated string swallows the rest, comment markers included
    expect(stripJsonComments('{"a": "open // x')).toBe('{"a": "open // x');
  });

  it('ends a line comment at a carriage return too, and leaves comment-free text untouched', () => {
    expect(parsed('{"a": 1, // one\r\n"b": 2}')).toEqual({ a: 1, b: 2 });
    const plain = '{"a": [1, 2, {"b": "c"}]}';
    expect(stripJsonComments(plain)).toBe(plain);
  });
});

describe('paths below a prefix', () => {
  const prefixes = ['/api/v2/prems-bonus-system', '/api/_action/prems'];

  it('matches the prefix itself and what lies below it, with or without a query', () => {
    expect(underPrefixes('/api/v2/prems-bonus-system/create-bonus-booking', prefixes)).toBe(true);
    expect(underPrefixes('/api/_action/prems/create-bonus-booking-by-customer-id?x=1', prefixes)).toBe(true);
    expect(underPrefixes('/api/_action/prems', prefixes)).toBe(true);
  });

  it('does not match a path that only starts with the same letters, or another dialect', () => {
    expect(underPrefixes('/api/_action/premsX/create', prefixes)).toBe(false);
    expect(underPrefixes('/api/DEFAULT/points/transfer/add', prefixes)).toBe(false);
  });
});
