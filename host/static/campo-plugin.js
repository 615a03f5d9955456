/* Campo's plugin loader for browsers and Node: runs a form's logic or scoring plugin exactly as
 * the server does (sdk/ABI.md, version 1). A plugin is a core WebAssembly module with no imports,
 * so it is instantiated with a plain `WebAssembly.instantiate(module, {})`.
 *
 * - `CampoPlugin.Plugin`: one module in this thread (Node tests, and inside the worker).
 * - `CampoPlugin.Runner`: the page's handle: runs plugins in a Web Worker (this same file) with a
 *   wall-clock watchdog, so a runaway plugin is stopped with `worker.terminate()` and cannot
 *   freeze the page. Browsers have no fuel metering; the watchdog is the backstop.
 *
 * Loaded three ways: a classic <script> (defines `self.CampoPlugin`), a Worker script (answers
 * messages), and `require()` in Node. */
(function (root, factory) {
  const api = factory();
  if (typeof module === 'object' && module.exports) module.exports = api;
  else root.CampoPlugin = api;
  const inWorker = typeof document === 'undefined' && typeof importScripts === 'function' &&
    typeof root.postMessage === 'function' && !(typeof ServiceWorkerGlobalScope !== 'undefined' && root instanceof ServiceWorkerGlobalScope);
  if (inWorker) api.serveWorker(root);
})(typeof self !== 'undefined' ? self : globalThis, function () {
  'use strict';

  const ABI = 1;
  const MAX_INPUT = 1 << 20;   // sdk/ABI.md "Limits": input and output at most 1 MiB
  const MAX_OUTPUT = 1 << 20;
  const ENTRIES = { logic: 'campo_logic', score: 'campo_score' };

  /** A plugin that refused its input, trapped, or answered something that is not the ABI's. */
  class PluginError extends Error {
    constructor(kind, message) {
      super(message);
      this.name = 'PluginError';
      this.kind = kind; // 'refused' | 'trap' | 'bad_output' | 'bad_module' | 'timeout' | 'too_large'
    }
  }

  /** The input envelope of sdk/ABI.md, as UTF-8 JSON bytes. */
  function envelope({ study, form, version, answers, settings }) {
    return new TextEncoder().encode(JSON.stringify({ abi: ABI, study, form, version, answers: answers || {}, settings: settings || {} }));
  }

  /** Splits a packed i64 result: out_ptr = r >> 32, out_len = r & 0x7fff_ffff, bit 31 = error. */
  function unpack(r) {
    const big = BigInt.asUintN(64, BigInt(r));
    return { ptr: Number(big >> 32n), len: Number(big & 0x7fffffffn), failed: (big & 0x80000000n) !== 0n };
  }

  function checkExports(exports) {
    for (const name of ['memory', 'campo_alloc', 'campo_dealloc', 'campo_abi_v1']) {
      if (!(name in exports)) throw new PluginError('bad_module', `the module does not export ${name} (ABI v${ABI})`);
    }
    if (!('campo_logic' in exports) && !('campo_score' in exports)) {
      throw new PluginError('bad_module', 'the module exports neither campo_logic nor campo_score');
    }
  }

  /** One plugin module in this thread. Every call runs on pristine state: the memory is restored
   * from a copy taken right after instantiation (exported mutable globals too), and the instance
   * is replaced after a trap or when the memory grew, so nothing carries over between calls. */
  class Plugin {
    static async load(bytesOrModule) {
      const module = bytesOrModule instanceof WebAssembly.Module ? bytesOrModule : await WebAssembly.compile(bytesOrModule);
      if (WebAssembly.Module.imports(module).length > 0) throw new PluginError('bad_module', 'plugins must not import anything');
      const plugin = new Plugin(module);
      await plugin.instantiate();
      return plugin;
    }

    constructor(module) {
      this.module = module;
    }

    async instantiate() {
      const instance = await WebAssembly.instantiate(this.module, {});
      checkExports(instance.exports);
      this.instance = instance;
      this.memory = instance.exports.memory;
      this.pristine = new Uint8Array(this.memory.buffer).slice();
      this.globals = [];
      for (const value of Object.values(instance.exports)) {
        if (!(value instanceof WebAssembly.Global)) continue;
        try {
          const saved = value.value;
          value.value = saved; // throws for an immutable global: nothing to restore then
          this.globals.push([value, saved]);
        } catch (_) { /* immutable */ }
      }
    }

    has(entry) {
      return ENTRIES[entry] in this.instance.exports;
    }

    /** Runs `entry` ('logic' or 'score') on an input envelope and returns the parsed result. */
    async call(entry, input) {
      const bytes = input instanceof Uint8Array ? input : envelope(input);
      const name = ENTRIES[entry];
      if (!name || !this.has(entry)) throw new PluginError('bad_module', `the plugin has no ${name || entry}`);
      if (bytes.length > MAX_INPUT) throw new PluginError('too_large', `input of ${bytes.length} bytes is over the limit`);
      let dirty = true;
      try {
        const x = this.instance.exports;
        const ptr = x.campo_alloc(bytes.length) >>> 0;
        new Uint8Array(this.memory.buffer, ptr, bytes.length).set(bytes);
        const { ptr: out, len, failed } = unpack(x[name](ptr, bytes.length));
        if (len > MAX_OUTPUT) throw new PluginError('too_large', `output of ${len} bytes is over the limit`);
        if (out + len > this.memory.buffer.byteLength) throw new PluginError('bad_output', 'the result lies outside the memory');
        const text = new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(this.memory.buffer, out, len).slice());
        x.campo_dealloc(out, len);
        dirty = false;
        if (failed) throw new PluginError('refused', text);
        try {
          return JSON.parse(text);
        } catch (e) {
          throw new PluginError('bad_output', `the result is not JSON: ${e.message}`);
        }
      } catch (e) {
        if (e instanceof PluginError) throw e;
        throw new PluginError('trap', `the plugin trapped: ${e && e.message ? e.message : e}`);
      } finally {
        await this.reset(dirty);
      }
    }

    async reset(trapped) {
      if (trapped || this.memory.buffer.byteLength !== this.pristine.length) return this.instantiate();
      new Uint8Array(this.memory.buffer).set(this.pristine);
      for (const [global, value] of this.globals) global.value = value;
    }
  }

  /** Worker side: keeps one Plugin per sha256 and answers `{id, hash, bytes?, entry, input}`. */
  function serveWorker(scope) {
    const plugins = new Map();
    scope.onmessage = async (event) => {
      const { id, hash, bytes, entry, input } = event.data;
      try {
        let plugin = plugins.get(hash);
        if (!plugin) {
          if (!bytes) throw new PluginError('bad_module', `plugin ${hash} is not loaded`);
          plugin = await Plugin.load(bytes);
          plugins.set(hash, plugin);
        }
        scope.postMessage({ id, result: await plugin.call(entry, input) });
      } catch (e) {
        scope.postMessage({ id, error: { kind: e.kind || 'trap', message: String(e.message || e) } });
      }
    };
  }

  /** The page's handle on plugins: one Web Worker (this file), a watchdog per call. A call that
   * takes longer than `timeoutMs` (plus `loadMs` when the module is compiled first) terminates
   * the worker; the next call starts a fresh one. Without Worker support (Node), it runs the
   * plugins in this thread. */
  class Runner {
    constructor({ scriptUrl = 'campo-plugin.js', timeoutMs = 3000, loadMs = 15000 } = {}) {
      this.scriptUrl = scriptUrl;
      this.timeoutMs = timeoutMs;
      this.loadMs = loadMs;
      this.worker = null;
      this.loaded = new Set();
      this.pending = new Map();
      this.nextId = 1;
      this.local = new Map();
      this.useWorker = typeof Worker === 'function';
    }

    /** Runs `entry` of the plugin `hash` (bytes: its module, an ArrayBuffer or Uint8Array). */
    call(hash, bytes, entry, input) {
      if (!this.useWorker) return this.callHere(hash, bytes, entry, input);
      const worker = this.ensureWorker();
      const id = this.nextId++;
      const first = !this.loaded.has(hash);
      const message = { id, hash, entry, input: input instanceof Uint8Array ? input : envelope(input) };
      if (first) message.bytes = new Uint8Array(bytes).slice();
      this.loaded.add(hash);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          this.stop(new PluginError('timeout', `the plugin took longer than ${this.timeoutMs} ms and was stopped`));
        }, this.timeoutMs + (first ? this.loadMs : 0));
        this.pending.set(id, { resolve, reject, timer, hash });
        worker.postMessage(message);
      });
    }

    async callHere(hash, bytes, entry, input) {
      let plugin = this.local.get(hash);
      if (!plugin) {
        plugin = await Plugin.load(new Uint8Array(bytes));
        this.local.set(hash, plugin);
      }
      return plugin.call(entry, input);
    }

    ensureWorker() {
      if (this.worker) return this.worker;
      const worker = new Worker(this.scriptUrl);
      worker.onmessage = (event) => {
        const { id, result, error } = event.data;
        const call = this.pending.get(id);
        if (!call) return;
        this.pending.delete(id);
        clearTimeout(call.timer);
        if (error) {
          if (error.kind === 'bad_module') this.loaded.delete(call.hash);
          call.reject(new PluginError(error.kind, error.message));
        } else call.resolve(result);
      };
      worker.onerror = (event) => this.stop(new PluginError('trap', `plugin worker failed: ${event.message || 'unknown error'}`));
      this.worker = worker;
      return worker;
    }

    /** Terminates the worker and fails every call in flight with `error`. */
    stop(error) {
      if (this.worker) this.worker.terminate();
      this.worker = null;
      this.loaded.clear();
      const calls = [...this.pending.values()];
      this.pending.clear();
      for (const call of calls) {
        clearTimeout(call.timer);
        call.reject(error);
      }
    }
  }

  return { ABI, Plugin, Runner, PluginError, envelope, unpack, serveWorker };
});
