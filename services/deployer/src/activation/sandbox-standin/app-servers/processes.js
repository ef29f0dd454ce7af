/*
 * Small helpers the stand-in's files share (plain CommonJS, no dependencies: shipped to sandbox
 * machines with the stand-in).
 */
'use strict';

const fs = require('node:fs');

/** A file's text, trimmed; '' when it cannot be read. */
function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}

/** True while the process exists and is not a zombie. */
function isAlive(pid) {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === '') return false;
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  return state !== 'Z' && state !== 'X';
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Debian's PostgreSQL 15 binaries (the only PostgreSQL the sandbox host has). */
const PG_BIN = process.env.FEDOPS_STANDIN_POSTGRES_BIN || '/usr/lib/postgresql/15/bin';

module.exports = { readText, isAlive, sleep, PG_BIN };
