#!/usr/bin/env node
'use strict';
require('../dist/src/client/cli.js')
  .main(process.argv)
  .then((code) => process.exit(code));
