/** `npm test` runs the reliability suites' short forms; `npm run test:reliability` (RELIABILITY=long) the long ones. */
export function reliabilityScale(): 'short' | 'long' {
  return process.env.RELIABILITY === 'long' ? 'long' : 'short';
}
