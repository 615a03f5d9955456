// The harness of the Node and browser tests: starts the real `campo` binary on a fresh SQLite
// file with the example and seed studies installed (from studies/, as they are now), makes
// tokens, and launches Debian's Chromium through playwright-core (never a downloaded browser).
// CAMPO_BIN names the binary (cargo test passes the one it built); default target/debug/campo.
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.CAMPO_BIN ? path.resolve(process.env.CAMPO_BIN) : path.join(ROOT, 'target/debug/campo');
export const OUTPUT = path.join(ROOT, 'tests/output');
export const CHROMIUM = process.env.CAMPO_CHROMIUM || '/usr/bin/chromium';
export const STUDIES = ['ejemplo-hogares', 'mujeres-migrantes-rm', '3x1-migrantes'];
// The web app served is this checkout's (CAMPO_STATIC_DIR names another one, e.g. to check that a
// test fails on an older app), not the directory the binary was built with.
export const STATIC_DIR = process.env.CAMPO_STATIC_DIR ? path.resolve(process.env.CAMPO_STATIC_DIR) : path.join(ROOT, 'host/static');
const CACHE_DIR = path.join(os.tmpdir(), 'campo-test-artifacts');

/** Runs `campo ARGS` and returns its stdout. */
export function campo(args) {
  return execFileSync(BIN, args, { cwd: ROOT, env: { ...process.env, CAMPO_CACHE_DIR: CACHE_DIR }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** Runs `campo ARGS` with `input` on its standard input (a password for `campo user create`). */
export function campoWithInput(args, input) {
  return execFileSync(BIN, args, { cwd: ROOT, env: { ...process.env, CAMPO_CACHE_DIR: CACHE_DIR }, input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** `campo gen` bodies: realistic, valid submissions. */
export function generate(study, form, n, seed) {
  return campo(['gen', study, '--form', form, '--n', String(n), '--seed', String(seed)]).trim().split('\n').map((l) => JSON.parse(l));
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A running `campo serve` on a fresh database; `stop()` and `start()` keep the port and data,
 * so a test can take the server away and bring it back. */
export async function startServer({ studies = STUDIES } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'campo-browser-'));
  const db = `sqlite://${path.join(dir, 'campo.db')}`;
  // A study is a seed study's name under studies/, or the path of a bundle a test made.
  for (const study of studies) campo(['study', 'install', path.isAbsolute(study) ? study : path.join(ROOT, 'studies', study), '--db', db]);
  const port = await freePort();
  const server = {
    dir, db, port, url: `http://127.0.0.1:${port}`, child: null, logs: [],
    token(role, study) {
      const args = ['token', 'create', '--db', db, '--role', role];
      if (study) args.push('--study', study);
      return campo(args).trim().split('\n').pop().trim();
    },
    async start() {
      const child = spawn(BIN, ['serve', '--db', db, '--addr', `127.0.0.1:${port}`, '--drain-secs', '1', '--static-dir', STATIC_DIR], {
        cwd: ROOT, env: { ...process.env, CAMPO_CACHE_DIR: CACHE_DIR, RUST_LOG: 'info,sqlx=warn' }, stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.child = child;
      child.stderr.setEncoding('utf8');
      child.stderr.on('data', (d) => this.logs.push(d));
      child.on('exit', (code, signal) => {
        if (this.child === child) console.error(`campo serve exited unexpectedly (${code ?? signal}); its last log lines:\n${this.logs.join('').split('\n').slice(-15).join('\n')}`);
      });
      for (let i = 0; i < 600; i++) {
        if (child.exitCode !== null) throw new Error(`campo serve exited: ${this.logs.join('')}`);
        try {
          const r = await fetch(`${this.url}/healthz`);
          if (r.ok) return;
        } catch (_) { /* not yet */ }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('campo serve did not start in 60 s');
    },
    async stop() {
      const child = this.child;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      this.child = null;
      child.kill('SIGKILL');
      await exited;
      this.child = null;
    },
    async close() {
      await this.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    async api(method, p, token, body) {
      const r = await fetch(this.url + p, {
        method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      let json = null;
      try { json = JSON.parse(text); } catch (_) { /* CSV or empty */ }
      return { status: r.status, json, text };
    },
  };
  await server.start();
  return server;
}

/** Debian's Chromium, headless, through playwright-core. */
export const LAUNCH = {
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
};

export const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'es-CL' };

export function outputPath(name) {
  fs.mkdirSync(OUTPUT, { recursive: true });
  return path.join(OUTPUT, name);
}
