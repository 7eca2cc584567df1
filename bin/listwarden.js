#!/usr/bin/env node
// Entry point of the installed command; the compiled CLI lives in dist/ (npm run build).
import '../dist/cli/index.js';
