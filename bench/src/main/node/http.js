// HTTP/1.1 plaintext server for the Weft benchmark report: Node.js `http`, one process, no cluster.
// Usage: node http.js --port P [--host 127.0.0.1]
// Prints one line "listening on HOST:PORT backend=node" when ready; quiet afterwards.
// Node's http module adds Date and Connection headers of its own; the body is "Hello, World!".
'use strict';
const http = require('http');

let host = '127.0.0.1';
let port = -1;
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--port' && i + 1 < argv.length) {
    port = Number(argv[++i]);
  } else if (argv[i] === '--host' && i + 1 < argv.length) {
    host = argv[++i];
  } else {
    process.stderr.write(`http.js: bad argument '${argv[i]}' (usage: --port P [--host H])\n`);
    process.exit(2);
  }
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write('http.js: --port P is required (0..65535)\n');
  process.exit(2);
}

const BODY = Buffer.from('Hello, World!');
const server = http.createServer({ noDelay: true }, (req, res) => {
  res.writeHead(200, { 'Server': 'node', 'Content-Type': 'text/plain', 'Content-Length': BODY.length });
  res.end(BODY);
});
server.keepAliveTimeout = 60000;
server.listen({ host, port, backlog: 1024 }, () => {
  const a = server.address();
  process.stdout.write(`listening on ${a.address}:${a.port} backend=node\n`);
});
