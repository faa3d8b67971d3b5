#!/usr/bin/env node
// The operator CLI: runs the built CLI when present, else the TypeScript sources.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const built = join(__dirname, '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (existsSync(built)) {
  require(built);
} else {
  require('ts-node').register({ transpileOnly: true, project: join(__dirname, '..', 'tsconfig.json') });
  require('tsconfig-paths/register');
  require(join(__dirname, '..', 'apps', 'cli', 'src', 'main.ts'));
}
