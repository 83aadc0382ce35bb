// Loopback only, enforced: any TCP connection this process opens to another host is refused
// and recorded in `offLoopback`. Imported by tests/node/federation.mjs, and preloaded into the
// gateway processes it starts (`node --import ./routers/loopback.mjs ...`), which then print
// `LOOPBACK-REFUSED host:port` on stderr for each attempt.

import net from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
export const offLoopback = [];

const socketConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  let options = args[0];
  if (Array.isArray(options)) options = options[0]; // net.connect passes normalized [options, cb]
  if (typeof options !== 'object' || options === null) {
    options = { port: options, host: typeof args[1] === 'string' ? args[1] : 'localhost' };
  }
  if (options.path == null) { // TCP (a path means a Unix socket)
    const host = options.host ?? 'localhost';
    if (!LOOPBACK.has(host)) {
      offLoopback.push(`${host}:${options.port}`);
      process.stderr.write(`LOOPBACK-REFUSED ${host}:${options.port}\n`);
      process.nextTick(() => this.destroy(new Error(`refused a connection off loopback: ${host}:${options.port}`)));
      return this;
    }
  }
  return socketConnect.apply(this, args);
};
